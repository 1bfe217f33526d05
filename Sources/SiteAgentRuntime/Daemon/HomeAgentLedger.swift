import AgentRuntime
import GLMWire
import Metrics
import SiteAgentCore

/// What the site agent keeps of each home agent beside the core's heartbeats, for
/// `status` and alerts: the refusals exchanged with it, and
/// `glm_site_home_agent_up{home_agent}` (0 while it does not answer heartbeats), set
/// from the core's heartbeats after every batch.
struct HomeAgentLedger {
    private(set) var refusals: [String: PeerRefusals] = [:]
    /// When each home agent last accepted a registration.
    private(set) var lastAccepted: [String: Double] = [:]
    private var gauges: [String: Gauge] = [:]

    init(homeAgents: [String]) {
        track(homeAgents)
    }

    /// After a reload: gauges for new home agents, up until heartbeats say otherwise.
    mutating func track(_ homeAgents: [String]) {
        for name in homeAgents where gauges[name] == nil {
            let gauge = Gauge(label: "glm_site_home_agent_up", dimensions: [("home_agent", name)])
            gauge.record(1)
            gauges[name] = gauge
        }
    }

    /// Sets each home agent's gauge from the heartbeats now: 0 while it does not answer;
    /// 1 for one no longer configured (nothing to alert on).
    func updateGauges(_ heartbeats: [SiteAgentCore.HomeAgentHeartbeat]) {
        let reachable = Dictionary(heartbeats.map { ($0.name, $0.reachable) }, uniquingKeysWith: { $0 && $1 })
        for (name, gauge) in gauges { gauge.record((reachable[name] ?? true) ? 1 : 0) }
    }

    mutating func record(_ notice: SiteAgentNotice, policy: SiteAgentPolicy, at now: Double) {
        switch notice {
        case .refused(_, let homeAgent, let status, _):
            refusals[homeAgent, default: PeerRefusals()].record("refused \(status)", authentication: status == .authenticationFailed, at: now)
        case .unauthenticated(let from, let verdict):
            guard let homeAgent = policy.homeAgent(at: from) else { return }
            refusals[homeAgent.name, default: PeerRefusals()].record("from \(from): authentication \(verdict.name)", authentication: true, at: now)
        case .registered(let vm, _), .prepared(let vm):
            if let homeAgent = policy.homeAgent(at: vm.homeAgent) { lastAccepted[homeAgent.name] = now }
        default:
            break
        }
    }
}
