/// The flags shared by Binding Revocation Indication and Acknowledgement (RFC 5846 §5.1-5.2).
public struct BindingRevocationFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A proxy binding (the peer is a MAG).
    public static let proxyBinding = BindingRevocationFlags(rawValue: 0x8000)
    /// Only the IPv4 home address binding is revoked.
    public static let ipv4HomeAddressOnly = BindingRevocationFlags(rawValue: 0x4000)
    /// Global: every binding of the peer.
    public static let global = BindingRevocationFlags(rawValue: 0x2000)
}

/// A Binding Revocation Indication, MH Type 16 with B.R. Type 1 (RFC 5846 §5.1): the
/// home agent tells a site that a VM's binding there is gone.
public struct BindingRevocationIndication: Hashable, Sendable {
    public static let revocationType: UInt8 = 1

    public var trigger: RevocationTrigger
    public var sequenceNumber: UInt16
    public var flags: BindingRevocationFlags
    public var options: [MobilityOption]

    public init(trigger: RevocationTrigger, sequenceNumber: UInt16,
                flags: BindingRevocationFlags = [.proxyBinding], options: [MobilityOption]) {
        self.trigger = trigger
        self.sequenceNumber = sequenceNumber
        self.flags = flags
        self.options = options
    }
}

/// A Binding Revocation Acknowledgement, MH Type 16 with B.R. Type 2 (RFC 5846 §5.2).
public struct BindingRevocationAcknowledgement: Hashable, Sendable {
    public static let revocationType: UInt8 = 2

    public var status: RevocationStatus
    public var sequenceNumber: UInt16
    public var flags: BindingRevocationFlags
    public var options: [MobilityOption]

    public init(status: RevocationStatus, sequenceNumber: UInt16,
                flags: BindingRevocationFlags = [.proxyBinding], options: [MobilityOption]) {
        self.status = status
        self.sequenceNumber = sequenceNumber
        self.flags = flags
        self.options = options
    }
}
