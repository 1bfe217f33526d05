/// One binding of a home agent's cache, as `bindings` answers it.
public struct BindingEntry: Codable, Hashable, Sendable {
    public var vm: String
    public var address: String
    public var site: String
    public var siteAddress: String
    public var sitePort: Int
    /// Seconds since 1970.
    public var registeredAt: Double
    public var expiresAt: Double
    public var lifetimeSeconds: Double
    public var sequenceNumber: Int
    public var timestamp: Double
    /// `udp`, `udp-tlv` or `udp-tlv-gre` (Docs/protocol.md §8).
    public var framing: String
    public var greKey: UInt32?

    public init(vm: String, address: String, site: String, siteAddress: String, sitePort: Int, registeredAt: Double,
                expiresAt: Double, lifetimeSeconds: Double, sequenceNumber: Int, timestamp: Double, framing: String,
                greKey: UInt32? = nil) {
        self.vm = vm
        self.address = address
        self.site = site
        self.siteAddress = siteAddress
        self.sitePort = sitePort
        self.registeredAt = registeredAt
        self.expiresAt = expiresAt
        self.lifetimeSeconds = lifetimeSeconds
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.framing = framing
        self.greKey = greKey
    }
}

/// A site prepared to receive a VM (make-before-break), as `preparations` answers it.
public struct PreparationEntry: Codable, Hashable, Sendable {
    public var vm: String
    public var address: String
    public var site: String
    public var siteAddress: String
    public var expiresAt: Double

    public init(vm: String, address: String, site: String, siteAddress: String, expiresAt: Double) {
        self.vm = vm
        self.address = address
        self.site = site
        self.siteAddress = siteAddress
        self.expiresAt = expiresAt
    }
}
