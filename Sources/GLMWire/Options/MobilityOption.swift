/// One mobility option of a signaling message, decoded.
///
/// Pad1 and PadN are layout, not content: the encoder inserts them where alignment needs
/// them and the decoder skips them, so they never appear here. The authentication option
/// is not here either: it belongs to the message's framing (see
/// ``MobilityMessageAuthentication``). An option this profile does not know is kept as
/// ``UnknownMobilityOption`` so it can be reported (RFC 6275 §6.2.1: skipped by length).
public enum MobilityOption: Hashable, Sendable {
    /// Mobile Node Identifier, type 8 (RFC 4283, RFC 8371).
    case mobileNodeIdentifier(MobileNodeIdentifier)
    /// Handoff Indicator, type 23 (RFC 5213 §8.4).
    case handoffIndicator(HandoffIndicator)
    /// Access Technology Type, type 24 (RFC 5213 §8.5).
    case accessTechnologyType(AccessTechnologyType)
    /// Mobile Node Link-layer Identifier, type 25 (RFC 5213 §8.6).
    case linkLayerIdentifier([UInt8])
    /// Timestamp, type 27 (RFC 5213 §8.8).
    case timestamp(PMIPTimestamp)
    /// Restart Counter, type 28 (RFC 5847 §3.4).
    case restartCounter(UInt32)
    /// GRE Key, type 33 (RFC 5845 §6.1); nil is the key-less form that asks for one.
    case greKey(UInt32?)
    /// IPv4 Home Address Request, type 36 (RFC 5844 §3.3.1).
    case ipv4HomeAddressRequest(IPv4HomeAddressRequest)
    /// IPv4 Home Address Reply, type 37 (RFC 5844 §3.3.2).
    case ipv4HomeAddressReply(IPv4HomeAddressReply)
    /// IPv4 Default-Router Address, type 38 (RFC 5844 §3.3.3).
    case ipv4DefaultRouterAddress(IPv4Address)
    /// Vendor Specific Mobility Option, type 19 (RFC 5094 §3).
    case vendorSpecific(VendorSpecificOption)
    /// Any other option, kept whole.
    case unknown(UnknownMobilityOption)

    /// The option's Type byte.
    public var type: UInt8 {
        switch self {
        case .mobileNodeIdentifier: MobilityOptionType.mobileNodeIdentifier
        case .handoffIndicator: MobilityOptionType.handoffIndicator
        case .accessTechnologyType: MobilityOptionType.accessTechnologyType
        case .linkLayerIdentifier: MobilityOptionType.linkLayerIdentifier
        case .timestamp: MobilityOptionType.timestamp
        case .restartCounter: MobilityOptionType.restartCounter
        case .greKey: MobilityOptionType.greKey
        case .ipv4HomeAddressRequest: MobilityOptionType.ipv4HomeAddressRequest
        case .ipv4HomeAddressReply: MobilityOptionType.ipv4HomeAddressReply
        case .ipv4DefaultRouterAddress: MobilityOptionType.ipv4DefaultRouterAddress
        case .vendorSpecific: MobilityOptionType.vendorSpecific
        case .unknown(let option): option.type
        }
    }
}

/// Option type numbers (IANA "Mobility Options" registry).
public enum MobilityOptionType {
    public static let pad1: UInt8 = 0
    public static let padN: UInt8 = 1
    public static let mobileNodeIdentifier: UInt8 = 8
    public static let authentication: UInt8 = 9
    public static let vendorSpecific: UInt8 = 19
    public static let handoffIndicator: UInt8 = 23
    public static let accessTechnologyType: UInt8 = 24
    public static let linkLayerIdentifier: UInt8 = 25
    public static let timestamp: UInt8 = 27
    public static let restartCounter: UInt8 = 28
    public static let greKey: UInt8 = 33
    public static let ipv4HomeAddressRequest: UInt8 = 36
    public static let ipv4HomeAddressReply: UInt8 = 37
    public static let ipv4DefaultRouterAddress: UInt8 = 38
}

/// An option this profile does not interpret: its type and its data, as received.
public struct UnknownMobilityOption: Hashable, Sendable {
    public var type: UInt8
    public var data: [UInt8]

    public init(type: UInt8, data: [UInt8]) {
        self.type = type
        self.data = data
    }
}

extension Array where Element == MobilityOption {
    /// The Vendor Specific options, in order.
    public var vendorSpecific: [VendorSpecificOption] {
        compactMap { if case .vendorSpecific(let value) = $0 { value } else { nil } }
    }

    /// Whether GLM's preparation mark is among the options.
    public var isPreparation: Bool { vendorSpecific.contains(.prepare) }

    /// The Mobile Node Identifier, if present.
    public var mobileNodeIdentifier: MobileNodeIdentifier? {
        for case .mobileNodeIdentifier(let value) in self { return value }
        return nil
    }

    public var handoffIndicator: HandoffIndicator? {
        for case .handoffIndicator(let value) in self { return value }
        return nil
    }

    public var accessTechnologyType: AccessTechnologyType? {
        for case .accessTechnologyType(let value) in self { return value }
        return nil
    }

    public var linkLayerIdentifier: [UInt8]? {
        for case .linkLayerIdentifier(let value) in self { return value }
        return nil
    }

    public var timestamp: PMIPTimestamp? {
        for case .timestamp(let value) in self { return value }
        return nil
    }

    public var restartCounter: UInt32? {
        for case .restartCounter(let value) in self { return value }
        return nil
    }

    /// The GRE Key option: nil when absent, `.some(nil)` for the key-less form.
    public var greKey: UInt32?? {
        for case .greKey(let value) in self { return .some(value) }
        return nil
    }

    public var ipv4HomeAddressRequest: IPv4HomeAddressRequest? {
        for case .ipv4HomeAddressRequest(let value) in self { return value }
        return nil
    }

    public var ipv4HomeAddressReply: IPv4HomeAddressReply? {
        for case .ipv4HomeAddressReply(let value) in self { return value }
        return nil
    }

    public var ipv4DefaultRouterAddress: IPv4Address? {
        for case .ipv4DefaultRouterAddress(let value) in self { return value }
        return nil
    }

    /// The options this profile did not interpret, in order.
    public var unknownOptions: [UnknownMobilityOption] {
        compactMap { if case .unknown(let value) = $0 { value } else { nil } }
    }
}
