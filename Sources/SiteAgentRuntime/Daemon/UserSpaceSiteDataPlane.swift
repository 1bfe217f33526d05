import AgentRuntime
import Foundation
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
/// * its MAC in the ``BridgeRedirect`` set: its unicast IPv4 frames go up to the host
///   whatever MAC its ARP cache gives them, and its ARP frames are not forwarded onto the
///   LAN;
/// * ARP answers to what it asks of its home subnet (its gateway, its home neighbours),
///   sent by the agent to the VM alone from ``BridgeRedirect/hostMAC`` (``answer(_:)``).
///   No proxy ARP: the bridge is joined to the site's LAN, whose hosts must keep seeing
///   only their own neighbours. The VM's own configuration (address, default route via
///   its home gateway) is left as it is.
///
/// The bridge is the one the VM announced itself on (or was found on in a bridge's
/// forwarding table); when nobody knows, the first one the configuration lists.
/// Everything installed in the OS is undone on
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
    private let mtu: Int
    private let logger: Logger
    /// The bridge each served VM is on, by address; the bridges whose forwarding is on.
    private let state = Mutex<(served: [IPv4Address: String], forwarding: Set<String>)>(([:], []))

    /// VMs in the redirect set from start to stop: those the configuration names under a
    /// home agent other than this site's own, known to be foreign here. Their frames are
    /// redirected from the moment they arrive, without waiting for `nft` at their PBA.
    private let pinned: Set<MACAddress>

    /// `defaultBridge` serves the VMs whose bridge nobody told. With `redirect`, served
    /// VMs' frames reach the host whatever MAC they are addressed to (see ``BridgeRedirect``);
    /// `pinned` VMs are in its set from the start.
    public init(tunnel: any TunnelDataPlane, defaultBridge: String, mtu: Int, redirect: BridgeRedirect? = nil,
                pinned: Set<MACAddress> = [], configurator: NetworkConfigurator = NetworkConfigurator(), logger: Logger) {
        self.tunnel = tunnel
        self.redirect = redirect
        self.pinned = pinned
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
        try redirect?.start(vms: pinned)
        // A bridge whose address followed its ports' would change under its LAN's hosts.
        for bridge in redirect?.bridges ?? [defaultBridge] {
            try configurator.fixAddress(of: bridge)
        }
    }

    public func serve(_ vm: ServedVM) async throws {
        let bridge = vm.bridge ?? defaultBridge
        try await tunnel.install(TunnelRoute(address: vm.address, peer: vm.homeAgent, framing: vm.framing, role: .anchored))
        if state.withLock({ $0.forwarding.insert(bridge).inserted }) {
            try configurator.set(.ipv4("forwarding", interface: bridge), to: "1")
        }
        try configurator.apply(osChanges(vm, bridge: bridge))
        state.withLock { $0.served[vm.address] = bridge }
        // After the rule: the VM's traffic flows from here, this only catches its frames
        // to the MACs it knew where it came from.
        if !pinned.contains(vm.vm) { try redirect?.add(vm.vm) }
        logger.info("serving VM", metadata: ["vm": "\(vm.vm)", "address": "\(vm.address)", "bridge": "\(bridge)",
                                             "home_agent": "\(vm.homeAgent)", "gateway": "\(vm.gateway)"])
    }

    public func unserve(_ vm: ServedVM) async throws {
        let bridge = state.withLock { $0.served[vm.address] } ?? vm.bridge ?? defaultBridge
        if !pinned.contains(vm.vm) { try? redirect?.remove(vm.vm) }
        try configurator.revert(osChanges(vm, bridge: bridge))
        try await tunnel.remove(vm.address, prefixLength: 32)
        _ = state.withLock { $0.served.removeValue(forKey: vm.address) }
        logger.info("no longer serving VM", metadata: ["vm": "\(vm.vm)", "address": "\(vm.address)"])
    }

    public func answer(_ answer: ARPAnswer) throws {
        let bridge = answer.bridge ?? defaultBridge
        let own = redirect == nil ? try NetworkInterface.macAddress(of: bridge) : BridgeRedirect.hostMAC
        let reply = FrameBuilder.arpReply(senderMAC: own, senderIPv4: answer.asked, targetMAC: answer.vm,
                                          targetIPv4: answer.vmAddress, padded: true)
        try NetworkInterface.send(frame: reply, on: bridge)
    }

    /// A frame from `vm`'s MAC to itself, of the local experimental Ethertype, out of each
    /// uplink of its bridge: the LAN's switches learn the MAC behind this host and drop
    /// the frame (its destination is the port it came by); no host acts on it. Without
    /// it, the home agent's copies follow the MAC to where the VM last was on this LAN
    /// (minutes ago, before it left), not to the port where it is about to resume.
    public func claim(_ vm: MACAddress, bridge: String?) throws {
        let bridge = bridge ?? defaultBridge
        let frame = EthernetFrame(destination: vm, source: vm, etherType: .localExperimental, payload: [UInt8](repeating: 0, count: 46))
            .serialized(padded: true)
        for uplink in (redirect?.uplinks ?? []).sorted() where Self.master(of: uplink) == bridge {
            try NetworkInterface.send(frame: frame, on: uplink)
        }
    }

    /// The bridge `port` is a port of, from `/sys/class/net/PORT/master`.
    static func master(of port: String) -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/sys/class/net/\(port)/master"))
            .map { ($0 as NSString).lastPathComponent }
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
