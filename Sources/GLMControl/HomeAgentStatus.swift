/// A home agent's answer to `status`: itself, then every site it serves VMs at, each
/// with the hosts (hypervisors) it heartbeats.
public struct HomeAgentStatus: Codable, Hashable, Sendable {
    public struct Site: Codable, Hashable, Sendable {
        public var name: String
        /// The worst of its hosts (down, then refused, then up); `idle` with no host
        /// heartbeated; `refused` when the site's messages fail authentication.
        public var health: PeerHealth
        /// VMs bound at the site.
        public var vms: Int
        public var hosts: [Host]
        /// The tunnel's traffic with its hosts, summed; nil without a data plane.
        public var traffic: TrafficTotals?

        public init(name: String, health: PeerHealth, vms: Int, hosts: [Host], traffic: TrafficTotals? = nil) {
            self.name = name
            self.health = health
            self.vms = vms
            self.hosts = hosts
            self.traffic = traffic
        }
    }

    /// One hypervisor of a site, heartbeated while it holds bindings.
    public struct Host: Codable, Hashable, Sendable {
        public var address: String
        public var health: PeerHealth
        public var vms: Int
        /// The tunnel's traffic with it; nil without a data plane.
        public var traffic: TrafficTotals?

        public init(address: String, health: PeerHealth, vms: Int, traffic: TrafficTotals? = nil) {
            self.address = address
            self.health = health
            self.vms = vms
            self.traffic = traffic
        }
    }

    public var version: String
    /// This agent's own site.
    public var site: String
    public var address: String
    /// The Restart Counter it sends (RFC 5847): one more at each start.
    public var restartCounter: UInt32?
    /// It serves (always, but for a cluster's standby members).
    public var serving: Bool
    public var bindings: Int
    public var preparations: Int
    public var sites: [Site]
    public var tunnel: TrafficTotals?
    /// What moves the tunnelled packets; nil without a data plane (or on a standby).
    public var dataPlane: DataPlaneStatus?
    public var cluster: ClusterStatus?

    public init(version: String, site: String, address: String, restartCounter: UInt32?, serving: Bool, bindings: Int,
                preparations: Int, sites: [Site], tunnel: TrafficTotals?, dataPlane: DataPlaneStatus? = nil, cluster: ClusterStatus?) {
        self.version = version
        self.site = site
        self.address = address
        self.restartCounter = restartCounter
        self.serving = serving
        self.bindings = bindings
        self.preparations = preparations
        self.sites = sites
        self.tunnel = tunnel
        self.dataPlane = dataPlane
        self.cluster = cluster
    }
}
