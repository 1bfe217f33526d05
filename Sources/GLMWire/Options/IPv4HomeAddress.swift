/// The IPv4 Home Address Request option (RFC 5844 §3.3.1): the address the MAG asks
/// for, 0.0.0.0 to have the LMA allocate one.
public struct IPv4HomeAddressRequest: Hashable, Sendable {
    /// 0...32; the wire field has 6 bits, and values above 32 are refused.
    public var prefixLength: UInt8
    public var address: IPv4Address

    public init(prefixLength: UInt8 = 0, address: IPv4Address = .any) {
        self.prefixLength = prefixLength
        self.address = address
    }
}

/// The IPv4 Home Address Reply option (RFC 5844 §3.3.2): the address the LMA assigned.
public struct IPv4HomeAddressReply: Hashable, Sendable {
    public var status: Status
    /// 0...32; the wire field has 6 bits, and values above 32 are refused.
    public var prefixLength: UInt8
    public var address: IPv4Address

    public init(status: Status = .success, prefixLength: UInt8, address: IPv4Address) {
        self.status = status
        self.prefixLength = prefixLength
        self.address = address
    }

    /// The reply's Status (RFC 5844 §3.3.2).
    public struct Status: Hashable, Sendable, RawRepresentable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let success = Self(rawValue: 0)
        public static let failureUnspecified = Self(rawValue: 128)
        public static let administrativelyProhibited = Self(rawValue: 129)
        public static let incorrectIPv4HomeAddress = Self(rawValue: 130)
        public static let invalidIPv4Address = Self(rawValue: 131)
        public static let dynamicAddressAssignmentUnavailable = Self(rawValue: 132)
    }
}
