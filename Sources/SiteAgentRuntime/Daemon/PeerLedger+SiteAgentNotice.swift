import AgentRuntime
import SiteAgentCore

extension PeerLedger {
    /// The site agent's ledger of its home agents: `glm_site_home_agent_up{home_agent}`,
    /// 0 while one does not answer heartbeats.
    static func homeAgents(_ policy: SiteAgentPolicy) -> PeerLedger {
        PeerLedger(label: "glm_site_home_agent_up", dimension: "home_agent", peers: policy.homeAgents.map(\.name))
    }

    /// Takes note of a home agent's refusal, failed authentication or acceptance.
    mutating func record(_ notice: SiteAgentNotice, policy: SiteAgentPolicy, at now: Double) {
        switch notice {
        case .refused(_, let homeAgent, let status, _):
            refused(homeAgent, "refused \(status)", authentication: status == .authenticationFailed, at: now)
        case .unauthenticated(let from, let verdict):
            guard let homeAgent = policy.homeAgent(at: from) else { return }
            refused(homeAgent.name, "from \(from): authentication \(verdict.name)", authentication: true, at: now)
        case .registered(let vm, _), .prepared(let vm):
            if let homeAgent = policy.homeAgent(at: vm.homeAgent) { accepted(homeAgent.name, at: now) }
        default:
            break
        }
    }

    /// Sets each home agent's gauge from the heartbeats now.
    func updateGauges(_ heartbeats: [SiteAgentCore.HomeAgentHeartbeat]) {
        updateGauges(down: Set(heartbeats.filter { !$0.reachable }.map(\.name)))
    }
}

extension SiteAgentAction {
    /// A notice that a home agent started or stopped answering heartbeats.
    var changesHeartbeats: Bool {
        switch self {
        case .notice(.homeAgentReachable), .notice(.homeAgentUnreachable): true
        default: false
        }
    }
}
