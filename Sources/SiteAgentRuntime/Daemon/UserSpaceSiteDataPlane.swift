import AgentRuntime
import GLMWire
import Logging
import SiteAgentCore
import Synchronization

/// The site side of the data plane over a ``TunnelDataPlane``. For each VM served here:
///
/// * a tunnel route anchored at its home agent (packets *from* the VM go to that home
///   agent; tunnelled packets *to* it are accepted only from there);
/// * a host route `VM/32 dev BRIDGE` in the main table, so the tunnel's packets for the
///   VM leave by its bridge;
/// * a policy rule `from VM/32 lookup 5437` (``table``, priority ``rulePriority``); the
///   table holds one default route into the TUN device, shared by every VM and every home
///   agent (the tunnel picks the home agent by the packet's inner source);
/// * `proxy_arp` on the bridge (with forwarding on and `proxy_delay` 0): the kernel
///   answers the VM's ARP requests for every address whose route, looked up from the
///   VM's source address, leaves by another device — its gateway and the rest of its
///   home subnet, which the policy rule sends into the tunnel — with the bridge's MAC.
///   The VM's own configuration (address, default route via its home gateway) is left
///   as it is; no gratuitous ARP is needed, as the VM asks for its gateway's MAC anew.
///
/// The bridge is the one the VM announced itself on (or was found on in a bridge's
/// forwarding table); when nobody knows, the first one the configuration lists.
/// `proxy_arp` is turned on for a bridge while it serves a VM and put back when its last
/// VM leaves. Everything installed in the OS is undone on
/// ``stop()``; what a killed agent left behind is undone at the next ``start()``, from
/// the configurator's journal.
public final class UserSpaceSiteDataPlane: SiteDataPlane {
    /// The routing table holding the default route into the tunnel.
    public static let table = 5437
    /// The priority of the VMs' policy rules (before the main table's 32766).
    public static let rulePriority = 5437

    private let tunnel: any TunnelDataPlane
    private let configurator: NetworkConfigurator
    private let defaultBridge: String
    private let redirect: BridgeRedirect?
    private let vms: Set<MACAddress>
    private let mtu: Int
    private let logger: Logger
    /// The bridge each served VM is on, by address; and the `proxy_arp` value each bridge
    /// serving a VM had before.
    private let state = Mutex<(served: [IPv4Address: String], proxyARPBefore: [String: String])>(([:], [:]))

    /// `defaultBridge` serves the VMs whose bridge nobody told. With `redirect`, the
    /// frames of `vms` reach the host whatever MAC they are addressed to (see ``BridgeRedirect``).
    public init(tunnel: any TunnelDataPlane, defaultBridge: String, mtu: Int, redirect: BridgeRedirect? = nil,
                vms: Set<MACAddress> = [], configurator: NetworkConfigurator = NetworkConfigurator(), logger: Logger) {
        self.tunnel = tunnel
        self.redirect = redirect
        self.vms = vms
        self.configurator = configurator
        self.defaultBridge = defaultBridge
        self.mtu = mtu
        self.logger = logger
    }

    /// Undoes what a predecessor killed before its teardown left in the OS (when the
    /// configurator keeps a journal), then opens the tunnel, brings it up and points the
    /// policy table into it. Fails, with nothing changed, while another agent holds the
    /// journal.
    public func start() async throws {
        try configurator.recover()
        try await tunnel.start()
        try configurator.set(.ipv4Forwarding, to: "1")
        try configurator.apply([.link(tunnel.interfaceName, mtu: mtu, up: true),
                                .route(to: .any, prefixLength: 0, device: tunnel.interfaceName, table: Self.table)])
        try redirect?.start(vms: vms)
        // Served VMs learn the bridge's MAC from its proxy ARP answers.
        for bridge in redirect?.bridges ?? [defaultBridge] {
            try configurator.fixAddress(of: bridge)
        }
    }

    public func adopt(vms: Set<MACAddress>) async throws {
        try redirect?.adopt(vms: vms)
    }

    public func serve(_ vm: ServedVM) async throws {
        let bridge = vm.bridge ?? defaultBridge
        try await tunnel.install(TunnelRoute(address: vm.address, peer: vm.homeAgent, framing: vm.framing, role: .anchored))
        let first = state.withLock { state in !state.served.values.contains(bridge) }
        if first {
            let before = try configurator.value(of: .ipv4("proxy_arp", interface: bridge))
            try configurator.set(.ipv4("forwarding", interface: bridge), to: "1")
            try configurator.set(.ipv4Neighbour("proxy_delay", interface: bridge), to: "0")
            try configurator.set(.ipv4("proxy_arp", interface: bridge), to: "1")
            state.withLock { state in
                if state.proxyARPBefore[bridge] == nil { state.proxyARPBefore[bridge] = before }
            }
        }
        try configurator.apply(osChanges(vm, bridge: bridge))
        state.withLock { $0.served[vm.address] = bridge }
        logger.info("serving VM", metadata: ["vm": "\(vm.vm)", "address": "\(vm.address)", "bridge": "\(bridge)",
                                             "home_agent": "\(vm.homeAgent)", "gateway": "\(vm.gateway)"])
    }

    public func unserve(_ vm: ServedVM) async throws {
        let bridge = state.withLock { $0.served[vm.address] } ?? vm.bridge ?? defaultBridge
        try configurator.revert(osChanges(vm, bridge: bridge))
        try await tunnel.remove(vm.address, prefixLength: 32)
        let before: String? = state.withLock { state in
            guard state.served.removeValue(forKey: vm.address) != nil, !state.served.values.contains(bridge) else { return nil }
            return state.proxyARPBefore.removeValue(forKey: bridge)
        }
        if let before {
            try configurator.set(.ipv4("proxy_arp", interface: bridge), to: before)
        }
        logger.info("no longer serving VM", metadata: ["vm": "\(vm.vm)", "address": "\(vm.address)"])
    }

    public func stop() async {
        redirect?.stop()
        await tunnel.stop()
        for failure in configurator.teardown() {
            logger.warning("could not undo a network change", metadata: ["error": "\(failure)"])
        }
    }

    private func osChanges(_ vm: ServedVM, bridge: String) -> [NetworkChange] {
        // The VM's MAC is known: a served (or prepared, not yet arrived) VM's packets leave
        // by the bridge at once, without waiting for it to answer ARP.
        [.neighbour(vm.address, mac: vm.vm, device: bridge),
         .route(to: vm.address, device: bridge),
         .rule(from: vm.address, table: Self.table, priority: Self.rulePriority)]
    }
}
