/// An IPv4 subnet: a network address and a prefix length.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let length: UInt8

    /// The subnet `address` lies in when its prefix is `length` bits.
    public init(address: IPv4Address, length: UInt8) {
        precondition(length <= 32)
        self.length = length
        self.network = IPv4Address(rawValue: address.rawValue & Self.mask(length))
    }

    private static func mask(_ length: UInt8) -> UInt32 {
        length == 0 ? 0 : UInt32.max << (32 - UInt32(length))
    }

    public func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & Self.mask(length) == network.rawValue
    }

    /// "network" or "broadcast" when `address` is one of the two addresses of the subnet
    /// no host may have; subnets of /31 and /32 have none (RFC 3021).
    public func reservedRole(of address: IPv4Address) -> String? {
        guard length <= 30, contains(address) else { return nil }
        if address == network { return "network" }
        if address.rawValue == network.rawValue | ~Self.mask(length) { return "broadcast" }
        return nil
    }

    public var description: String { "\(network)/\(length)" }
}

extension IPv4Prefix {
    /// One host: a /32.
    public init(host: IPv4Address) {
        self.init(address: host, length: 32)
    }

    /// Whether the two subnets share an address (one holds the other).
    public func overlaps(_ other: IPv4Prefix) -> Bool {
        contains(other.network) || other.contains(network)
    }
}
