import LabNetwork

/// A host a lab VM migrates from or to, as the analysis finds its capture and signaling
/// and the report names it: a ``LabTopology`` host (`home`, `site-a`: one host a site) or
/// a ``FederationTopology`` hypervisor (`A1` of `site-a`).
public protocol MigrationHost: Hashable, Sendable {
    /// The host's name in the report and the name its capture is kept under: `A1`; in
    /// the single-origin lab, where a site has one host, its site's name.
    var hostName: String { get }
    /// The site the host belongs to: `site-a`; `home` for the single-origin lab's home.
    var siteName: String { get }
    /// The host's address on the WAN, where its site agent signals from.
    var wanAddress: String { get }
}

extension LabTopology.Host: MigrationHost {
    public var hostName: String { reportName }
    public var siteName: String { reportName }
}

extension FederationTopology.Hypervisor: MigrationHost {
    public var hostName: String { description }
    public var siteName: String { FederationAgentConfiguration.siteName(site) }
}
