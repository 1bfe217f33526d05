/// A cluster member's view: the answer to `cluster`, and part of a home agent's `status`.
public struct ClusterStatus: Codable, Sendable, Hashable {
    public struct Peer: Codable, Sendable, Hashable {
        public init(name: String, address: String, up: Bool, lastHeardMillisecondsAgo: Int?, serving: Bool, etcdReachable: Bool) {
            self.name = name
            self.address = address
            self.up = up
            self.lastHeardMillisecondsAgo = lastHeardMillisecondsAgo
            self.serving = serving
            self.etcdReachable = etcdReachable
        }

        public var name: String
        public var address: String
        /// Heard within the silence limit.
        public var up: Bool
        public var lastHeardMillisecondsAgo: Int?
        public var serving: Bool
        public var etcdReachable: Bool
    }

    public var cluster: String
    public var member: String
    public var serving: Bool
    public var term: Int64?
    public var owner: String?
    public var lease: Int64?
    public var etcdReachable: Bool
    public var lastRenewalMillisecondsAgo: Int?
    public var etcdEndpoint: String
    public var refusedHeartbeats: Int
    /// The bindings this member follows in etcd by its watch.
    public var replicatedBindings: Int
    public var peers: [Peer]

    public init(cluster: String, member: String, serving: Bool, term: Int64?, owner: String?, lease: Int64?,
                etcdReachable: Bool, lastRenewalMillisecondsAgo: Int?, etcdEndpoint: String, refusedHeartbeats: Int,
                replicatedBindings: Int, peers: [Peer]) {
        self.cluster = cluster
        self.member = member
        self.serving = serving
        self.term = term
        self.owner = owner
        self.lease = lease
        self.etcdReachable = etcdReachable
        self.lastRenewalMillisecondsAgo = lastRenewalMillisecondsAgo
        self.etcdEndpoint = etcdEndpoint
        self.refusedHeartbeats = refusedHeartbeats
        self.replicatedBindings = replicatedBindings
        self.peers = peers
    }
}
