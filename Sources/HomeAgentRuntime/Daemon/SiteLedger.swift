import AgentRuntime
import GLMControl
import GLMWire
import HomeAgentCore
import Metrics

/// What the home agent keeps of each site beside the core's heartbeats, for `status` and
/// alerts: the refusals exchanged with it, and `glm_home_site_up{site}` (0 while a host
/// of the site that holds bindings does not answer heartbeats).
struct SiteLedger {
    private(set) var refusals: [String: PeerRefusals] = [:]
    /// When each site last sent a registration that was accepted.
    private(set) var lastAccepted: [String: Double] = [:]

    private var gauges: [String: Gauge] = [:]

    /// Every configured site starts up (1): nothing has gone unanswered yet.
    init(sites: [String]) {
        track(sites)
    }

    /// After a reload: gauges for new sites; those of removed sites stay at their last value.
    mutating func track(_ sites: [String]) {
        for site in sites where gauges[site] == nil {
            let gauge = Gauge(label: "glm_home_site_up", dimensions: [("site", site)])
            gauge.record(1)
            gauges[site] = gauge
        }
    }

    /// Sets each site's gauge from the hosts heartbeated now.
    func updateGauges(_ hosts: [HostHeartbeat]) {
        let down = Set(hosts.filter { !$0.reachable }.map(\.site))
        for (site, gauge) in gauges { gauge.record(down.contains(site) ? 0 : 1) }
    }

    /// A daemon that stops serving (the end of a cluster member's term) knows nothing of
    /// the sites any more: its gauges say 1, so that a standby raises no alert.
    func standDown() {
        for gauge in gauges.values { gauge.record(1) }
    }

    mutating func record(_ notice: HomeAgentNotice, policy: HomeAgentPolicy, at now: Double) {
        switch notice {
        case .registrationRefused(let status, _, let site, let reason):
            refusals[site, default: PeerRefusals()].record("\(status): \(reason)", authentication: status == .authenticationFailed, at: now)
        case .unauthenticated(let from, let verdict):
            guard let site = policy.site(at: from) else { return }
            refusals[site.name, default: PeerRefusals()].record("from \(from): authentication \(verdict.name)", authentication: true, at: now)
        case .bindingCreated(let binding, _), .bindingMoved(let binding, _, _), .bindingRefreshed(let binding):
            lastAccepted[binding.siteName] = now
        default:
            break
        }
    }
}

extension HomeAgentAction {
    /// A notice that a host started or stopped answering heartbeats.
    var changesHeartbeats: Bool {
        switch self {
        case .notice(.peerReachable), .notice(.peerUnreachable): true
        default: false
        }
    }
}
