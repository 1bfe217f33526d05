extension FederationTopology {
    /// Hypervisor `index` (from 1) of site `site` (from 1): "A1" is site 1's first.
    public struct Hypervisor: Hashable, Sendable, Comparable, CustomStringConvertible {
        public let site: Int
        public let index: Int

        /// Site 1 to 26 (its letter A to Z), hypervisor 1 to 9.
        public init(site: Int, index: Int) {
            precondition((1...26).contains(site), "sites are lettered A to Z")
            precondition((1...9).contains(index), "a site has at most 9 hypervisors")
            self.site = site
            self.index = index
        }

        /// The site's letter and the hypervisor's number: "A1", "B2".
        public var description: String { "\(FederationTopology.letter(site: site))\(index)" }
        /// The hypervisor's address on its site's WAN segment: 198.18.s.(10 + h).
        public var wanAddress: String { "198.18.\(site).\(10 + index)" }
        /// The bridge its VM ports join.
        public var bridge: String { "br0" }
        /// The bridge's port to the site's LAN.
        public var uplink: String { "uplink" }
        /// The bridge's own MAC, set at creation so that it never follows its ports.
        public var bridgeMAC: String { String(format: "02:47:4c:%02x:%02x:00", site, index) }

        public static func < (lhs: Hypervisor, rhs: Hypervisor) -> Bool {
            (lhs.site, lhs.index) < (rhs.site, rhs.index)
        }
    }

    /// A host of a site.
    public enum Host: Hashable, Sendable, CustomStringConvertible {
        /// The site's home-agent host: its router between LAN and WAN, and its gateway.
        case homeAgent(site: Int)
        /// The correspondent on the site's LAN.
        case correspondent(site: Int)
        case hypervisor(Hypervisor)
        /// A member of the site's cluster of home agents (`index` from 1).
        case clusterMember(site: Int, index: Int)
        /// A member of the site's etcd cluster (`index` from 1).
        case etcd(site: Int, index: Int)

        /// What the host's namespace is named after the lab's prefix: `ha1`, `cn1`, `hv12`,
        /// `hm11` (site 1's first cluster member), `ed11` (its first etcd member).
        public var description: String {
            switch self {
            case .homeAgent(let site): "ha\(site)"
            case .correspondent(let site): "cn\(site)"
            case .hypervisor(let hypervisor): "hv\(hypervisor.site)\(hypervisor.index)"
            case .clusterMember(let site, let index): "hm\(site)\(index)"
            case .etcd(let site, let index): "ed\(site)\(index)"
            }
        }
    }

    // MARK: Addresses

    /// Site `site`'s letter: A for 1.
    public static func letter(site: Int) -> Character {
        Character(UnicodeScalar(UInt8(64 + site)))
    }

    /// The WAN core's address on site `site`'s WAN segment, every WAN port's default gateway.
    public static func wanGateway(site: Int) -> String { "198.18.\(site).1" }

    /// The home-agent host's address on its site's WAN segment.
    public static func homeAgentWANAddress(site: Int) -> String { "198.18.\(site).2" }

    /// The home-agent host's own address on its site's LAN (on ``homeBridge``).
    public static func homeAgentLANAddress(site: Int) -> String { "10.\(site).0.2" }

    /// The site's gateway for its VMs and correspondent, also on the home-agent host's ``homeBridge``.
    public static func gateway(site: Int) -> String { "10.\(site).0.1" }

    /// The correspondent's address on its site's LAN.
    public static func correspondentAddress(site: Int) -> String { "10.\(site).0.9" }

    /// The site's home subnet: its LAN, routed by its home-agent host.
    public static func homeSubnet(site: Int) -> String { "10.\(site).0.0/24" }

    /// The home-agent host's bridge on the LAN, and that bridge's port to the site's switch.
    public static let homeBridge = "br-home"
    public static let homeLANPort = "lan0"
}
