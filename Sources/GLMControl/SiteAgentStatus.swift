/// A site agent's answer to `status`: itself, every home agent it is configured with,
/// and every VM it knows.
public struct SiteAgentStatus: Codable, Hashable, Sendable {
    public struct HomeAgent: Codable, Hashable, Sendable {
        public var name: String
        public var address: String
        public var health: PeerHealth
        /// VMs here that it anchors.
        public var vms: Int
        /// The tunnel's traffic with it; nil without a data plane.
        public var traffic: TrafficTotals?

        public init(name: String, address: String, health: PeerHealth, vms: Int, traffic: TrafficTotals? = nil) {
            self.name = name
            self.address = address
            self.health = health
            self.vms = vms
            self.traffic = traffic
        }
    }

    /// One VM and where it stands: `registering`, `preparing`, `prepared`, `served`,
    /// `home`, `returning` or `unanchored`.
    public struct VM: Codable, Hashable, Sendable {
        public var mac: String
        public var state: String
        public var homeAgent: String?
        /// Its address and gateway, once its home agent gave them.
        public var address: String?
        public var gateway: String?
        /// The refusals of its last exchange: "home agent: status name".
        public var refusals: [String]?

        public init(mac: String, state: String, homeAgent: String?, address: String? = nil, gateway: String? = nil,
                    refusals: [String]? = nil) {
            self.mac = mac
            self.state = state
            self.homeAgent = homeAgent
            self.address = address
            self.gateway = gateway
            self.refusals = refusals
        }
    }

    public var version: String
    /// This hypervisor's signaling address.
    public var address: String
    /// Arrivals are refused (`glmctl drain`); the VMs here stay served until they leave.
    public var draining: Bool
    public var homeAgents: [HomeAgent]
    public var vms: [VM]
    public var tunnel: TrafficTotals?
    /// What moves the tunnelled packets; nil without a data plane.
    public var dataPlane: DataPlaneStatus?

    public init(version: String, address: String, draining: Bool, homeAgents: [HomeAgent], vms: [VM], tunnel: TrafficTotals?,
                dataPlane: DataPlaneStatus? = nil) {
        self.version = version
        self.address = address
        self.draining = draining
        self.homeAgents = homeAgents
        self.vms = vms
        self.tunnel = tunnel
        self.dataPlane = dataPlane
    }
}
