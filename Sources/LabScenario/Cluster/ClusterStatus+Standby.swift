import GLMControl

extension ClusterStatus {
    /// A standby that reaches etcd and hears every peer, one of them serving: a member
    /// that could take over.
    var isReadyStandby: Bool {
        !serving && etcdReachable && !peers.isEmpty && peers.allSatisfy(\.up) && peers.contains(where: \.serving)
    }
}
