import GLMWire

/// A VM this home agent serves: who it is, its home address and gateway, its tenant's
/// GRE key, and which sites may host it.
public struct VMPolicy: Hashable, Sendable {
    /// The VM's MAC: the EUI-48 Mobile Node Identifier sites register it by.
    public var mac: MACAddress
    /// An optional name (NAI) an orchestrator may register it by instead.
    public var nai: String?
    /// The VM's home IPv4 address, which it keeps wherever it runs.
    public var address: IPv4Address
    /// The home subnet's prefix length.
    public var prefixLength: UInt8
    /// The home gateway: the default router every site impersonates for the VM.
    public var gateway: IPv4Address
    /// The tenant's GRE key, when tenants' address spaces overlap.
    public var greKey: UInt32?
    /// The sites allowed to host the VM by name; nil allows every configured site.
    public var allowedSites: Set<String>?

    public init(mac: MACAddress, nai: String? = nil, address: IPv4Address, prefixLength: UInt8,
                gateway: IPv4Address, greKey: UInt32? = nil, allowedSites: Set<String>? = nil) {
        self.mac = mac
        self.nai = nai
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.greKey = greKey
        self.allowedSites = allowedSites
    }

    /// Whether the site named `site` may host this VM.
    public func allows(site: String) -> Bool {
        allowedSites?.contains(site) ?? true
    }
}
