/// Who the mobile node is: the Mobile Node Identifier option's subtype and identifier
/// (RFC 4283 §3, subtypes from RFC 8371).
///
/// A VM is identified by its MAC (EUI-48, what the site agent sees on the wire) or by a
/// name an orchestrator gives it (NAI).
public enum MobileNodeIdentifier: Hashable, Sendable {
    /// Subtype 1: a Network Access Identifier (RFC 7542), UTF-8.
    case nai(String)
    /// Subtype 5: an EUI-48 MAC address, six octets.
    case eui48(MACAddress)
    /// Any other subtype, kept as bytes.
    case other(subtype: UInt8, identifier: [UInt8])

    public static let naiSubtype: UInt8 = 1
    public static let eui48Subtype: UInt8 = 5

    /// The longest identifier the one-octet option length leaves room for.
    public static let maximumIdentifierLength = 254

    public var subtype: UInt8 {
        switch self {
        case .nai: Self.naiSubtype
        case .eui48: Self.eui48Subtype
        case .other(let subtype, _): subtype
        }
    }

    /// The identifier octets as they go on the wire.
    public var identifierBytes: [UInt8] {
        switch self {
        case .nai(let name): Array(name.utf8)
        case .eui48(let mac): mac.octets
        case .other(_, let identifier): identifier
        }
    }
}

extension MobileNodeIdentifier: CustomStringConvertible {
    public var description: String {
        switch self {
        case .nai(let name): "nai:\(name)"
        case .eui48(let mac): "mac:\(mac)"
        case .other(let subtype, let identifier): "subtype-\(subtype):\(identifier.hexString)"
        }
    }
}
