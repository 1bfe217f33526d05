import GLMWire
import HomeAgentCore

/// How a home agent runs as one member of a cluster on etcd (`store: etcd`): who its
/// peers are, where etcd is, the address it serves while it owns the cluster, and the
/// timers of failure detection. `Docs/home-agent.md` ("A cluster of home agents")
/// documents every key.
public struct ClusterSettings: Sendable {
    /// One member: its name and its own address, where member heartbeats reach it.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var address: IPv4Address

        public init(name: String, address: IPv4Address) {
            self.name = name
            self.address = address
        }
    }

    /// etcd's members' client URLs, and the TLS files when they are `https`.
    public struct Etcd: Sendable, Equatable {
        public var endpoints: [String]
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
    }

    /// The cluster's name: its state lives under `/glm/<name>/` in etcd.
    public var name: String
    /// This member's name.
    public var member: String
    /// Every member, this one included.
    public var members: [Member]
    /// The UDP port of member heartbeats.
    public var peerPort: UInt16
    /// The key that authenticates member heartbeats (HMAC-SHA256), shared by the members.
    public var key: [UInt8]
    /// The interface the service address (the configuration's `address`) is added to
    /// while this member serves, and its prefix length there.
    public var serviceInterface: String
    public var servicePrefixLength: UInt8
    public var etcd: Etcd
    /// The lease's time to live in etcd, seconds: how long a dead member's ownership
    /// lasts when no peer ends it sooner.
    public var leaseTTL: Int64
    /// How often the lease is renewed, and the deadline of each renewal.
    public var renewInterval: Double
    /// How often a member heartbeat goes to each peer.
    public var heartbeatInterval: Double
    /// The serve window, silence limit and margin of ``ClusterMembership``.
    public var timing: ClusterMembership.Timing

    public static let defaultPeerPort: UInt16 = 5438
    public static let defaultLeaseTTL: Int64 = 5
    public static let defaultRenewInterval = 0.1
    public static let defaultHeartbeatInterval = 0.05

    /// This member's own entry.
    public var me: Member { members.first { $0.name == member }! }
    /// The other members.
    public var peers: [Member] { members.filter { $0.name != member } }
}
