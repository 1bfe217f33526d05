import GLMWire

/// A revocation owed to a site (RFC 5846): the site once held the VM's binding and must
/// be told, by a BRI it acknowledges with a BRA, to stop serving it.
///
/// This is what is persisted while the BRA is outstanding, so that a restarted agent, or
/// the cluster member that takes over, carries the revocation on instead of leaving the
/// old site serving a VM that has moved.
public struct Revocation: Hashable, Sendable {
    public var vm: MACAddress
    /// The signaling address and UDP port of the site's hypervisor that held the binding.
    public var siteAddress: IPv4Address
    public var sitePort: UInt16
    public var trigger: RevocationTrigger
    /// The Timestamp of the binding being revoked, which the BRI carries.
    public var timestamp: PMIPTimestamp

    public init(vm: MACAddress, siteAddress: IPv4Address, sitePort: UInt16, trigger: RevocationTrigger,
                timestamp: PMIPTimestamp) {
        self.vm = vm
        self.siteAddress = siteAddress
        self.sitePort = sitePort
        self.trigger = trigger
        self.timestamp = timestamp
    }

    public var key: RevocationKey { RevocationKey(vm: vm, site: siteAddress) }
}

/// Which revocation: of which VM, at which hypervisor. At most one is in flight per key.
public struct RevocationKey: Hashable, Sendable, Comparable {
    public let vm: MACAddress
    public let site: IPv4Address

    public init(vm: MACAddress, site: IPv4Address) {
        self.vm = vm
        self.site = site
    }

    public static func < (lhs: RevocationKey, rhs: RevocationKey) -> Bool {
        (lhs.vm, lhs.site.rawValue) < (rhs.vm, rhs.site.rawValue)
    }
}
