import GLMControl
import GLMWire
import HomeAgentCore

extension HomeAgentNotice {
    /// The notice as `glmctl watch` shows it, its peer a site's name (`siteName` names the
    /// site of an address); nil for those too frequent or too minor to follow (refreshes,
    /// ignored or malformed datagrams).
    func controlEvent(at now: Double, siteName: (IPv4Address) -> String?) -> ControlEvent? {
        switch self {
        case .bindingCreated(let binding, let latency):
            return ControlEvent(time: now, kind: .registered, vm: "\(binding.vm)", peer: binding.siteName,
                                detail: "bound at \(binding.siteName) \(binding.siteAddress) for \(Int(binding.lifetime)) s, "
                                    + "\(Self.milliseconds(latency)) after its first PBU")
        case .bindingMoved(let binding, let fromSite, let latency):
            return ControlEvent(time: now, kind: .moved, vm: "\(binding.vm)", peer: binding.siteName,
                                detail: "moved from \(fromSite) to \(binding.siteName) \(binding.siteAddress), \(Self.milliseconds(latency))")
        case .bindingRemoved(let binding, let removal):
            return ControlEvent(time: now, kind: .removed, vm: "\(binding.vm)", peer: binding.siteName,
                                detail: "binding at \(binding.siteName) \(binding.siteAddress) removed: \(removal.rawValue)")
        case .atHome(let vm, let host, let prepared):
            return ControlEvent(time: now, kind: prepared ? .preparation : .removed, vm: "\(vm)", peer: siteName(host) ?? "\(host)",
                                detail: prepared ? "return home to \(host) prepared" : "at home on \(host)")
        case .preparationAdded(let preparation):
            return ControlEvent(time: now, kind: .preparation, vm: "\(preparation.site.vm)", peer: preparation.siteName,
                                detail: "\(preparation.siteName) \(preparation.site.siteAddress) prepares to receive it")
        case .preparationEnded(let preparation, let end):
            return ControlEvent(time: now, kind: .preparation, vm: "\(preparation.site.vm)", peer: preparation.siteName,
                                detail: "preparation at \(preparation.siteName) ended: \(end.rawValue)")
        case .registrationRefused(let status, let vm, let site, let reason):
            // A VM is its MAC, as in every other event; another identifier as the wire says it.
            let named = vm.map { identifier in
                if case .eui48(let mac) = identifier { return "\(mac)" }
                return "\(identifier)"
            }
            return ControlEvent(time: now, kind: .refused, vm: named, peer: site,
                                detail: "registration refused \(status): \(reason)")
        case .unauthenticated(let from, let verdict):
            return ControlEvent(time: now, kind: .refused, peer: siteName(from) ?? "\(from)",
                                detail: "message from \(from) failed authentication: \(verdict.name)")
        case .staleUpdateIgnored(let vm, let site, let current):
            return ControlEvent(time: now, kind: .refused, vm: "\(vm)", peer: site,
                                detail: "late update from \(site) ignored: the VM is bound at \(current)")
        case .revocationSent(let vm, let site, let attempt):
            return ControlEvent(time: now, kind: .revocation, vm: "\(vm)", peer: site, detail: "revocation sent (attempt \(attempt))")
        case .revocationAcknowledged(let vm, let site, let status):
            return ControlEvent(time: now, kind: .revocation, vm: "\(vm)", peer: site, detail: "revocation acknowledged: \(status.rawValue)")
        case .revocationAbandoned(let vm, let site):
            return ControlEvent(time: now, kind: .revocation, vm: "\(vm)", peer: site, detail: "revocation abandoned: no acknowledgement")
        case .peerUnreachable(let site, let host):
            return ControlEvent(time: now, kind: .peer, peer: site, detail: "host \(host) does not answer heartbeats")
        case .peerReachable(let site, let host):
            return ControlEvent(time: now, kind: .peer, peer: site, detail: "host \(host) answers heartbeats again")
        case .peerRestarted(let site, let counter):
            return ControlEvent(time: now, kind: .peer, peer: site, detail: "a host restarted (restart counter \(counter))")
        case .bindingRefreshed, .malformed, .unknownPeer, .ignored:
            return nil
        }
    }

    private static func milliseconds(_ seconds: Double) -> String {
        "\(Int((seconds * 1000).rounded())) ms"
    }
}
