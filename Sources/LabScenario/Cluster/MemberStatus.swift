/// What the lab reads of a cluster member's answer to the control socket's `cluster`
/// request (`ClusterStatus` in HomeAgentRuntime, what `glmctl cluster --json` prints):
/// whether it serves, who owns the cluster, and how it hears its peers. Other fields are
/// ignored.
struct MemberStatus: Decodable, Sendable {
    struct Peer: Decodable, Sendable {
        var name: String
        /// Heard within the silence limit.
        var up: Bool
        var serving: Bool
    }

    var member: String
    var serving: Bool
    var owner: String?
    var etcdReachable: Bool
    var peers: [Peer]

    /// A standby that reaches etcd and hears every peer, one of them serving: a member
    /// that could take over.
    var isReadyStandby: Bool {
        !serving && etcdReachable && !peers.isEmpty && peers.allSatisfy(\.up) && peers.contains(where: \.serving)
    }
}
