/// A (Proxy) Binding Update, MH Type 5 (RFC 6275 §6.1.7, RFC 5213 §8.1): the site
/// agent registers, refreshes or (lifetime 0) de-registers a VM with its home agent.
public struct ProxyBindingUpdate: Hashable, Sendable {
    public static let mobilityHeaderType: UInt8 = 5

    public var sequenceNumber: UInt16
    public var flags: Flags
    /// Lifetime in units of 4 seconds; 0 de-registers.
    public var lifetimeUnits: UInt16
    public var options: [MobilityOption]

    public init(sequenceNumber: UInt16, flags: Flags = [.acknowledge, .proxy],
                lifetimeUnits: UInt16, options: [MobilityOption]) {
        self.sequenceNumber = sequenceNumber
        self.flags = flags
        self.lifetimeUnits = lifetimeUnits
        self.options = options
    }

    /// The lifetime in seconds.
    public var lifetimeSeconds: Int { Int(lifetimeUnits) * 4 }

    /// The flags word (RFC 6275 §6.1.7, RFC 5213 §8.1, RFC 5555 §3.1.3, RFC 5845 §3.2, RFC 6602).
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let acknowledge = Flags(rawValue: 0x8000)
        public static let homeRegistration = Flags(rawValue: 0x4000)
        public static let linkLocalCompatibility = Flags(rawValue: 0x2000)
        public static let keyManagementCompatibility = Flags(rawValue: 0x1000)
        public static let mapRegistration = Flags(rawValue: 0x0800)
        public static let mobileRouter = Flags(rawValue: 0x0400)
        public static let proxy = Flags(rawValue: 0x0200)
        public static let forceUDPEncapsulation = Flags(rawValue: 0x0100)
        public static let tlvHeaderFormat = Flags(rawValue: 0x0080)
        public static let bulkBinding = Flags(rawValue: 0x0040)
    }
}

/// A (Proxy) Binding Acknowledgement, MH Type 6 (RFC 6275 §6.1.8, RFC 5213 §8.2): the
/// home agent's answer, with the VM's address and gateway when it accepts.
public struct ProxyBindingAcknowledgement: Hashable, Sendable {
    public static let mobilityHeaderType: UInt8 = 6

    public var status: BindingAcknowledgementStatus
    public var flags: Flags
    public var sequenceNumber: UInt16
    /// Granted lifetime in units of 4 seconds.
    public var lifetimeUnits: UInt16
    public var options: [MobilityOption]

    public init(status: BindingAcknowledgementStatus, flags: Flags = [.proxy],
                sequenceNumber: UInt16, lifetimeUnits: UInt16, options: [MobilityOption]) {
        self.status = status
        self.flags = flags
        self.sequenceNumber = sequenceNumber
        self.lifetimeUnits = lifetimeUnits
        self.options = options
    }

    public var lifetimeSeconds: Int { Int(lifetimeUnits) * 4 }

    /// The flags octet (RFC 6275 §6.1.8, RFC 5213 §8.2, RFC 5845 §3.3, RFC 6602).
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let keyManagementCompatibility = Flags(rawValue: 0x80)
        public static let mobileRouter = Flags(rawValue: 0x40)
        public static let proxy = Flags(rawValue: 0x20)
        public static let tlvHeaderFormat = Flags(rawValue: 0x10)
        public static let bulkBinding = Flags(rawValue: 0x08)
    }
}
