import GLMControl
import GLMWire
import SiteAgentCore

extension SiteAgentNotice {
    /// The notice as `glmctl watch` shows it, its peer a home agent's name (`homeAgentName`
    /// names the home agent at an address); nil for those too frequent or too minor to
    /// follow (announces, retransmissions, refreshes, ignored or malformed datagrams).
    func controlEvent(at now: Double, homeAgentName: (IPv4Address) -> String?) -> ControlEvent? {
        switch self {
        case .registered(let vm, let latency):
            return ControlEvent(time: now, kind: .registered, vm: "\(vm.vm)", peer: homeAgentName(vm.homeAgent) ?? "\(vm.homeAgent)",
                                detail: "served as \(vm.address)/\(vm.prefixLength) via \(vm.gateway), "
                                    + "\(Int((latency * 1000).rounded())) ms after its first PBU")
        case .refused(let vm, let homeAgent, let status, _):
            return ControlEvent(time: now, kind: .refused, vm: "\(vm)", peer: homeAgent, detail: "registration refused \(status)")
        case .unanchored(let vm, let refusals, let retryIn):
            let answers = refusals.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            return ControlEvent(time: now, kind: .refused, vm: "\(vm)",
                                detail: "no home agent accepts it (\(answers)); asked again in \(Int(retryIn)) s")
        case .unauthenticated(let from, let verdict):
            return ControlEvent(time: now, kind: .refused, peer: homeAgentName(from) ?? "\(from)",
                                detail: "message from \(from) failed authentication: \(verdict.name)")
        case .atHome(let vm):
            return ControlEvent(time: now, kind: .registered, vm: "\(vm)", detail: "at home on this host")
        case .returnPrepared(let vm):
            return ControlEvent(time: now, kind: .preparation, vm: "\(vm)", detail: "return home prepared")
        case .revoked(let vm, let trigger):
            return ControlEvent(time: now, kind: .revocation, vm: "\(vm)", detail: "revoked by its home agent (trigger \(trigger.rawValue))")
        case .released(let vm):
            return ControlEvent(time: now, kind: .removed, vm: "\(vm)", detail: "released")
        case .preparing(let vm, let homeAgent):
            return ControlEvent(time: now, kind: .preparation, vm: "\(vm)", peer: homeAgent, detail: "preparing for its arrival")
        case .prepared(let vm):
            return ControlEvent(time: now, kind: .preparation, vm: "\(vm.vm)", peer: homeAgentName(vm.homeAgent) ?? "\(vm.homeAgent)",
                                detail: "prepared: served as \(vm.address)/\(vm.prefixLength) before it arrives")
        case .preparationEnded(let vm, let outcome):
            return ControlEvent(time: now, kind: .preparation, vm: "\(vm)", detail: "preparation ended: \(outcome)")
        case .homeAgentRestarted(let name, let counter):
            return ControlEvent(time: now, kind: .peer, peer: name, detail: "restarted (restart counter \(counter)); its VMs register again")
        case .homeAgentUnreachable(let name):
            return ControlEvent(time: now, kind: .peer, peer: name, detail: "does not answer heartbeats")
        case .homeAgentReachable(let name):
            return ControlEvent(time: now, kind: .peer, peer: name, detail: "answers heartbeats again")
        case .announceSeen, .registrationSent, .refreshed, .malformed, .ignored:
            return nil
        }
    }
}
