import AgentRuntime
import HomeAgentCore

extension PeerLedger {
    /// The home agent's ledger of its sites: `glm_home_site_up{site}`, 0 while a host of
    /// the site that holds bindings does not answer heartbeats.
    static func sites(_ policy: HomeAgentPolicy) -> PeerLedger {
        PeerLedger(label: "glm_home_site_up", dimension: "site", peers: policy.sites.map(\.name))
    }

    /// Takes note of a site's refusal, failed authentication or accepted registration.
    mutating func record(_ notice: HomeAgentNotice, policy: HomeAgentPolicy, at now: Double) {
        switch notice {
        case .registrationRefused(let status, _, let site, let reason):
            refused(site, "\(status): \(reason)", authentication: status == .authenticationFailed, at: now)
        case .unauthenticated(let from, let verdict):
            guard let site = policy.site(at: from) else { return }
            refused(site.name, "from \(from): authentication \(verdict.name)", authentication: true, at: now)
        case .bindingCreated(let binding, _), .bindingMoved(let binding, _, _), .bindingRefreshed(let binding):
            accepted(binding.siteName, at: now)
        default:
            break
        }
    }

    /// Sets each site's gauge from the hosts heartbeated now.
    func updateGauges(_ hosts: [HostHeartbeat]) {
        updateGauges(down: Set(hosts.filter { !$0.reachable }.map(\.site)))
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
