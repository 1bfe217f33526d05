import GLMWire

/// A site whose hypervisors may register VMs with this home agent: the addresses its
/// site agents signal from and the one security association they all sign with.
///
/// One entry per site, however many hypervisors it has: a hypervisor is known by the
/// prefix its signaling address falls in. The home agent's own site is a site too
/// (``isHome``): a PBU from one of its hypervisors says the VM is at home there.
public struct SitePolicy: Sendable {
    /// The operator's name for the site (unique), used in logs, metrics and policy.
    public var name: String
    /// The signaling addresses of the site's hypervisors, as prefixes (a host is a /32).
    public var hosts: [IPv4Prefix]
    public var association: SecurityAssociation
    /// This home agent's own site: a VM on one of its hypervisors is home.
    public var isHome: Bool

    public init(name: String, hosts: [IPv4Prefix], association: SecurityAssociation, isHome: Bool = false) {
        self.name = name
        self.hosts = hosts
        self.association = association
        self.isHome = isHome
    }

    /// A site of one hypervisor at `address`.
    public init(name: String, address: IPv4Address, association: SecurityAssociation, isHome: Bool = false) {
        self.init(name: name, hosts: [IPv4Prefix(host: address)], association: association, isHome: isHome)
    }

    /// Whether `address` is one of the site's hypervisors.
    public func contains(_ address: IPv4Address) -> Bool {
        hosts.contains { $0.contains(address) }
    }
}
