/// Every metric family the agents expose, by name, with the text a scrape shows in its
/// `# HELP` line.
///
/// ``AgentMetricsFactory`` looks a metric up here when swift-metrics creates it, so
/// code that counts something only names it (`Counter(label: "glm_site_announces_total")`)
/// and its help comes along. A name missing here is exposed without help; the metrics
/// exposition tests of both agents fail on that, so a new metric is added here too.
public enum MetricCatalogue {
    /// Help text by metric family name (a histogram by its base name, without
    /// `_bucket`, `_sum` or `_count`).
    public static let help: [String: String] = [
        // Both agents: the build, and the user-space tunnel when the data plane runs.
        "glm_build_info": "Always 1; the agent and the GLM release it runs are its labels.",
        "glm_tunnel_packets_total": "Tunnelled packets, by direction: out to the peers, in from them.",
        "glm_tunnel_bytes_total": "Tunnelled bytes, by direction: out to the peers, in from them.",
        "glm_tunnel_dropped_total": "Tunnel datagrams dropped, by reason (no_route, spoofed, malformed, key_mismatch, transmit_failed).",
        "glm_tunnel_ebpf_passed_total": "Packets the eBPF tunnel programs left to the user-space path, by direction: out from the tunnel device, in from the WAN.",
        "glm_tunnel_ebpf": "1 while the eBPF tunnel programs move the tunnelled packets, 0 while the user-space tunnel does.",
        "glm_tunnel_ebpf_pass_all": "1 while the eBPF tunnel programs leave every packet to the user-space path because the kernel refused a map update.",

        // The home agent.
        "glm_home_bindings": "Bindings in the cache.",
        "glm_home_prepared_endpoints": "Sites (or the home LAN) preparing to receive a VM now.",
        "glm_home_processing_seconds": "Time to handle one batch of signaling and events.",
        "glm_home_updates_total": "Proxy binding updates answered, by acknowledgement status; not-lma-for-this-mobile-node counts questions about other home agents' VMs.",
        "glm_home_handoffs_total": "Bindings moved between hypervisors, of one site or of two.",
        "glm_home_revocations_total": "Binding revocations sent to sites a VM left.",
        "glm_home_revocations_abandoned_total": "Binding revocations given up without an acknowledgement from the site.",
        "glm_home_malformed_total": "Signaling messages dropped because they did not parse.",
        "glm_home_unauthenticated_total": "Signaling messages dropped because their authenticator did not verify.",
        "glm_home_unknown_peer_total": "Signaling messages dropped because they came from an address in no site's hosts.",
        "glm_home_registration_latency_seconds": "Time from a site's registration timestamp to the binding switched here.",
        "glm_home_preparations_total": "Preparations to receive a VM, by outcome: added, completed, aborted, replaced, expired.",
        "glm_home_site_up": "1 while every host of the site that holds bindings answers heartbeats; 0 when one does not within the heartbeat timeout.",

        // A home agent that is a member of a cluster on etcd.
        "glm_cluster_serving": "1 while this member serves the cluster.",
        "glm_cluster_etcd_reachable": "1 while this member renews its lease in etcd in time.",
        "glm_cluster_terms_total": "Terms this member started serving, takeovers included.",
        "glm_cluster_owner_revocations_total": "Leases of silent or cut-off owners this member ended.",
        "glm_cluster_leases_lost_total": "Times etcd said this member's own lease had ended.",
        "glm_cluster_lease_renewal_seconds": "Round trip of each lease renewal to etcd.",
        "glm_cluster_peer_up": "1 while the member is heard within the silence limit.",
        "glm_cluster_heartbeats_refused_total": "Member heartbeats refused, by reason.",
        "glm_cluster_replicated_bindings": "Bindings in this member's copy of the cluster's bindings in etcd.",

        // The site agent.
        "glm_site_served_vms": "VMs accepted and served on this host now.",
        "glm_site_draining": "1 while the host drains (glmctl drain): arrivals are refused and the VMs here stay until they leave.",
        "glm_site_processing_seconds": "Time to handle one batch of inputs.",
        "glm_site_announces_total": "Hypervisor announces from this host's ports that started or refreshed a registration.",
        "glm_site_uplink_announces_ignored_total": "Announces that came in over an uplink (other hypervisors' VMs), ignored.",
        "glm_site_registrations_total": "Proxy binding acknowledgements received (registrations and refreshes), by status.",
        "glm_site_refusals_total": "Registrations refused, by home agent and status; authentication-failed for an acknowledgement that did not verify.",
        "glm_site_unanchored_total": "Times every home agent refused a VM.",
        "glm_site_registration_latency_seconds": "Time from the first proxy binding update sent to the accepting acknowledgement.",
        "glm_site_revocations_total": "Binding revocations received from home agents (VMs that moved on).",
        "glm_site_home_agent_unreachable_total": "Times a home agent stopped answering heartbeats.",
        "glm_site_home_agent_restarts_total": "Home agent restarts seen (their VMs registered again).",
        "glm_site_home_agent_up": "1 while the home agent answers heartbeats; 0 when it does not within the heartbeat timeout.",
        "glm_site_malformed_total": "Signaling messages dropped because they did not parse.",
        "glm_site_unauthenticated_total": "Signaling messages dropped because their authenticator did not verify.",
        "glm_site_preparations_total": "Preparations to receive a VM, by outcome: prepared, completed (the VM arrived), aborted, expired.",
    ]

    /// The help text of `name`, or "" (no `# HELP` line) when the catalogue lacks it.
    public static func help(for name: String) -> String {
        help[name] ?? ""
    }
}
