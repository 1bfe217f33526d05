/// A cluster member's view, as the control socket reports it (JSON).
public struct ClusterStatus: Codable, Sendable, Equatable {
    public struct Peer: Codable, Sendable, Equatable {
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
}
