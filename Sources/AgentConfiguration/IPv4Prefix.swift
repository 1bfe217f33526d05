import GLMWire

/// An IPv4 subnet: a network address and a prefix length.
package struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    package let network: IPv4Address
    package let length: UInt8

    /// The subnet `address` lies in when its prefix is `length` bits.
    package init(address: IPv4Address, length: UInt8) {
        precondition(length <= 32)
        self.length = length
        self.network = IPv4Address(rawValue: address.rawValue & Self.mask(length))
    }

    private static func mask(_ length: UInt8) -> UInt32 {
        length == 0 ? 0 : UInt32.max << (32 - UInt32(length))
    }

    package func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & Self.mask(length) == network.rawValue
    }

    /// "network" or "broadcast" when `address` is one of the two addresses of the subnet
    /// no host may have; subnets of /31 and /32 have none (RFC 3021).
    package func reservedRole(of address: IPv4Address) -> String? {
        guard length <= 30, contains(address) else { return nil }
        if address == network { return "network" }
        if address.rawValue == network.rawValue | ~Self.mask(length) { return "broadcast" }
        return nil
    }

    public var description: String { "\(network)/\(length)" }
}
