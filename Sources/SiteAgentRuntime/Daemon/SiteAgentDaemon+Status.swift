import AgentRuntime
import Foundation
import GLMControl
import GLMWire
import SiteAgentCore

extension SiteAgentDaemon {
    /// What `glmctl status` shows of this agent, every configured home agent and every VM.
    /// `tunnel`: the data plane's counters, nil without one; `dataPlane`: what moves its packets.
    public func status(tunnel: TunnelCounters?, dataPlane: DataPlaneStatus? = nil, now: Double = Date().timeIntervalSince1970) -> SiteAgentStatus {
        let anchors = Dictionary(grouping: core.states.keys.compactMap { core.anchor(of: $0)?.name }, by: { $0 }).mapValues(\.count)
        let homeAgents = core.homeAgentHeartbeats.map { peer in
            let health = ledger.health(of: peer.name, reachable: peer.reachable, lastHeartbeat: peer.lastResponse,
                                       roundTrip: peer.roundTrip, restartCounter: peer.restartCounter, now: now)
            return SiteAgentStatus.HomeAgent(name: peer.name, address: "\(peer.address)", health: health, vms: anchors[peer.name] ?? 0,
                                             traffic: tunnel.map { TrafficTotals($0.peers[peer.address] ?? PeerTraffic()) })
        }
        return SiteAgentStatus(version: GLMVersion.current, address: "\(core.policy.address)", draining: draining,
                               homeAgents: homeAgents, vms: vmStatuses(), tunnel: tunnel.map(TrafficTotals.init),
                               dataPlane: dataPlane)
    }

    /// Every VM known here with its state, in MAC order.
    func vmStatuses() -> [SiteAgentStatus.VM] {
        let refusals = core.refusals
        return core.states.sorted { $0.key < $1.key }.map { mac, state in
            var entry = SiteAgentStatus.VM(mac: "\(mac)", state: "registering", homeAgent: core.anchor(of: mac)?.name)
            entry.refusals = refusals[mac].map { $0.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" } }
            switch state {
            case .served(let vm), .prepared(let vm):
                if case .served = state { entry.state = "served" } else { entry.state = "prepared" }
                entry.address = "\(vm.address)/\(vm.prefixLength)"
                entry.gateway = "\(vm.gateway)"
            case .preparing:
                entry.state = "preparing"
            case .home:
                entry.state = "home"
            case .returning:
                entry.state = "returning"
            case .unanchored:
                entry.state = "unanchored"
                entry.homeAgent = nil
            case .registering:
                break
            }
            return entry
        }
    }
}
