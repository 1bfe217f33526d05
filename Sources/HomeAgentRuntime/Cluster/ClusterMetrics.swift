import Metrics

/// The cluster's metrics, beside the home agent's own.
struct ClusterMetrics: Sendable {
    /// 1 while this member serves the cluster.
    let serving = Gauge(label: "glm_cluster_serving")
    /// 1 while this member renews its lease in time.
    let storeReachable = Gauge(label: "glm_cluster_etcd_reachable")
    /// Terms this member started serving (takeovers included).
    let terms = Counter(label: "glm_cluster_terms_total")
    /// Leases of silent or cut-off owners this member ended.
    let revocations = Counter(label: "glm_cluster_owner_revocations_total")
    /// Times etcd said this member's own lease had ended.
    let leasesLost = Counter(label: "glm_cluster_leases_lost_total")
    /// How long each lease renewal took.
    let renewal = Metrics.Timer(label: "glm_cluster_lease_renewal_seconds")

    /// 1 while `member` is heard within the silence limit.
    func peerUp(_ member: String) -> Gauge {
        Gauge(label: "glm_cluster_peer_up", dimensions: [("member", member)])
    }

    /// Member heartbeats refused, by reason.
    func refused(_ reason: String) -> Counter {
        Counter(label: "glm_cluster_heartbeats_refused_total", dimensions: [("reason", reason)])
    }
}
