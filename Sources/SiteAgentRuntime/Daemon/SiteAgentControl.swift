import AgentRuntime
import Foundation
import GLMControl
import GLMWire
import SiteAgentCore

/// What the site agent's control socket answers (see ``ControlRequest``):
///
/// * `status` — ``SiteAgentStatus``: each home agent's health, every VM known here with
///   its state, whether the host drains.
/// * `notify` with `arrived|incoming|departed|aborted` and a VM — what a libvirt hook or an
///   orchestrator says. `arrived` and `incoming` are answered once the home agents have
///   (``outcome(of:daemon:)``), or refused while the host drains (`"draining":true`); the
///   others once handed to the daemon. An arrived VM is served on the first of `bridges`
///   whose forwarding table holds its MAC.
/// * `drain`, `undrain` — refuse arrivals for maintenance, or accept them again.
/// * `watch` — the agent's events as they happen.
public enum SiteAgentControl {
    public static func answer(_ request: ControlRequest, daemon: SiteAgentDaemon, bridges: [String] = [],
                              tunnel: TunnelCounters? = nil, dataPlane: DataPlaneStatus? = nil) async -> ControlReply {
        switch request.request {
        case .status:
            return .encoding(await daemon.status(tunnel: tunnel, dataPlane: dataPlane))
        case .watch:
            return .events(daemon.events.subscribe())
        case .drain, .undrain:
            await daemon.setDraining(request.request == .drain)
            let served = await daemon.served().count
            return .encoding(ControlAcknowledgement(note: request.request == .drain
                ? "draining: arrivals are refused; \(served) VMs served here stay until they leave"
                : "arrivals are accepted again"))
        case .notify:
            guard let mac = request.vm.flatMap(MACAddress.init), let event = request.event else {
                return .failure("notify needs a vm (a MAC address) and an event (arrived, departed, incoming or aborted)")
            }
            switch event {
            case .arrived, .incoming:
                if await daemon.draining {
                    return .failure("this host drains: \(mac) is not accepted (glmctl undrain ends the drain)", draining: true)
                }
                if event == .arrived {
                    let bridge = bridges.first { BridgeForwardingTable.holds(mac, bridge: $0) }
                    daemon.submit(.arrived(mac, bridge: bridge))
                } else {
                    daemon.submit(.incoming(mac, bridge: bridges.count == 1 ? bridges[0] : nil))
                }
                return await outcome(of: mac, daemon: daemon)
            case .departed: daemon.submit(.departed(mac))
            case .aborted: daemon.submit(.aborted(mac))
            }
            return .encoding(ControlAcknowledgement())
        case .bindings, .preparations, .cluster, .revoke:
            return .failure("\(request.request.rawValue) is a home agent's request; a site agent takes status, watch, notify, drain and undrain")
        }
    }

    /// How long `notify arrived|incoming` waits for the home agents' answer before it
    /// says the registration is still under way.
    static let outcomeWait: Duration = .seconds(2)

    /// Waits for the registration or preparation `notify` started to be answered: `ok`
    /// with the VM's state once served, prepared, home or returning; an error naming each
    /// home agent's refusal when none accepts it.
    static func outcome(of mac: MACAddress, daemon: SiteAgentDaemon) async -> ControlReply {
        let deadline = ContinuousClock.now + outcomeWait
        // Let the daemon take the event before the first look.
        try? await Task.sleep(for: .milliseconds(2))
        while true {
            let state = await daemon.states()[mac]
            let refusals = await daemon.refusals()[mac] ?? [:]
            let reasons = refusals.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            switch state {
            case .served?: return .encoding(ControlAcknowledgement(state: "served"))
            case .prepared?: return .encoding(ControlAcknowledgement(state: "prepared"))
            case .home?: return .encoding(ControlAcknowledgement(state: "home"))
            case .returning?: return .encoding(ControlAcknowledgement(state: "returning"))
            case .unanchored?: return .failure("no home agent accepts \(mac): \(reasons)")
            case nil: return .failure("\(mac) is not known here (a preparation for a VM already here is not needed)")
            case .registering?, .preparing?:
                guard ContinuousClock.now < deadline else {
                    if !reasons.isEmpty { return .failure("\(mac) is not accepted yet: \(reasons)") }
                    return .encoding(ControlAcknowledgement(state: "registering", note: "no home agent has answered yet"))
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}
