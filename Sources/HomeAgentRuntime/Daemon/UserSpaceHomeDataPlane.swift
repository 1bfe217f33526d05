import AgentRuntime
import GLMWire
import HomeAgentCore
import Logging
import Synchronization

/// The home side of the data plane over a ``TunnelDataPlane``: for each VM away, a host
/// route for its address into the tunnel device, the kernel's neighbour proxy on the home
/// LAN (with a gratuitous ARP so neighbours update at once), and a tunnel route to its
/// site. Everything installed in the OS is undone on ``stop()``; what a killed agent
/// left behind is undone at the next ``start()``, from the configurator's journal.
public final class UserSpaceHomeDataPlane: HomeDataPlane {
    private let tunnel: any TunnelDataPlane
    private let configurator: NetworkConfigurator
    private let proxyARP: ProxyARP
    private let homeInterface: String
    private let mtu: Int
    private let logger: Logger
    /// The agent's own signaling address: a preparation there is the VM's return home.
    private let localAddress: IPv4Address?
    /// VMs at home whose traffic the agent took over for a site's preparation.
    private let intercepted = Mutex<Set<IPv4Address>>([])

    public init(tunnel: any TunnelDataPlane, homeInterface: String, mtu: Int, localAddress: IPv4Address? = nil,
                configurator: NetworkConfigurator = NetworkConfigurator(), logger: Logger) {
        self.localAddress = localAddress
        self.tunnel = tunnel
        self.configurator = configurator
        self.proxyARP = ProxyARP(configurator: configurator, logger: logger)
        self.homeInterface = homeInterface
        self.mtu = mtu
        self.logger = logger
    }

    /// Undoes what a predecessor killed before its teardown left in the OS (when the
    /// configurator keeps a journal), then opens the tunnel and brings it up. Fails, with
    /// nothing changed, while another agent holds the journal.
    public func start() async throws {
        try configurator.recover()
        try await tunnel.start()
        try configurator.set(.ipv4Forwarding, to: "1")
        try configurator.apply([.link(tunnel.interfaceName, mtu: mtu, up: true)])
        // Neighbours learn this MAC for every away VM: it must not change under them.
        try configurator.fixAddress(of: homeInterface)
    }

    public func attach(_ vm: AwayVM) async throws {
        try await tunnel.install(route(vm))
        try configurator.apply([.route(to: vm.homeAddress, device: tunnel.interfaceName)])
        try proxyARP.announce(vm.homeAddress, on: homeInterface)
    }

    /// How long the site a VM left may still send its packets: those already on their
    /// way when the home agent switched (up to a WAN one-way delay behind), and until the
    /// old site has handled the revocation. Anything else it sends for the VM is dropped.
    public static let retiredRouteGrace = Duration.seconds(2)
    /// When the neighbours' ARP replies to a VM that came home go the second time.
    public static let reacquaintRepeat = Duration.milliseconds(1200)

    public func move(_ vm: AwayVM) async throws {
        let previous = remoteRoute(to: vm.homeAddress)
        try await tunnel.install(route(vm))
        if let previous, previous.peer != vm.siteAddress {
            await tunnel.retire(previous, for: Self.retiredRouteGrace)
        }
    }

    /// A preparation (make-before-break). At a site: the VM's downlink is copied there.
    /// If the VM is at home, the agent first takes its traffic over (host route into the
    /// tunnel, proxy ARP and a gratuitous ARP, as for a VM away) and keeps delivering it
    /// on the home LAN. For the VM's return home: its downlink is copied onto the home LAN,
    /// where it waits in the arriving VM's tap, and so are the replies that tell it where
    /// its home neighbours are.
    public func prepare(_ site: AwayVM) async throws {
        let delivery = LocalDelivery(interface: homeInterface, vm: site.vm, source: try NetworkInterface.macAddress(of: homeInterface))
        if site.siteAddress == localAddress {
            await tunnel.deliverLocally(site.homeAddress, delivery)
            try proxyARP.reacquaint(vm: site.vm, address: site.homeAddress, on: homeInterface)
            logger.info("copying a returning VM's traffic onto the home LAN", metadata: ["address": "\(site.homeAddress)"])
            return
        }
        let away = remoteRoute(to: site.homeAddress) != nil
        await tunnel.prepare(route(site))
        if !away {
            await tunnel.deliverLocally(site.homeAddress, delivery)
            try configurator.apply([.route(to: site.homeAddress, device: tunnel.interfaceName)])
            try proxyARP.announce(site.homeAddress, on: homeInterface)
            intercepted.withLock { _ = $0.insert(site.homeAddress) }
        }
        logger.info("bicasting to a prepared site", metadata: ["address": "\(site.homeAddress)", "site": "\(site.siteAddress)"])
    }

    public func unprepare(_ site: AwayVM) async throws {
        if site.siteAddress == localAddress {
            await tunnel.deliverLocally(site.homeAddress, nil)
            return
        }
        await tunnel.unprepare(route(site))
        guard intercepted.withLock({ $0.remove(site.homeAddress) }) != nil else { return }
        await tunnel.deliverLocally(site.homeAddress, nil)
        let away = remoteRoute(to: site.homeAddress) != nil
        if !away {
            // The VM never left home: hand its traffic back.
            try proxyARP.withdraw(site.homeAddress, on: homeInterface)
            try configurator.revert([.route(to: site.homeAddress, device: tunnel.interfaceName)])
        }
    }

    public func detach(_ vm: AwayVM) async throws {
        try proxyARP.withdraw(vm.homeAddress, on: homeInterface)
        try configurator.revert([.route(to: vm.homeAddress, device: tunnel.interfaceName)])
        try await tunnel.remove(vm.homeAddress)
        await tunnel.retire(route(vm), for: Self.retiredRouteGrace)
        // When the VM came home, it is on this LAN with an ARP cache from its last site.
        // When it was revoked elsewhere, the replies reach no one. A guest ignores an
        // update to an entry it changed less than a second before (Linux's `locktime`),
        // so the replies go again once that second has passed.
        try proxyARP.reacquaint(vm: vm.vm, address: vm.homeAddress, on: homeInterface)
        let proxyARP = self.proxyARP, interface = homeInterface, logger = self.logger
        Task {
            try? await Task.sleep(for: Self.reacquaintRepeat)
            do {
                try proxyARP.reacquaint(vm: vm.vm, address: vm.homeAddress, on: interface)
            } catch {
                logger.debug("could not repeat the neighbours' ARP replies", metadata: ["vm": "\(vm.vm)", "error": "\(error)"])
            }
        }
    }

    /// Withdraws the ARP answers and routes first, then closes the tunnel: from the first
    /// step on, nothing on the home LAN is told to send this host a VM's traffic.
    public func stop() async {
        for failure in configurator.teardown() {
            logger.warning("could not undo a network change", metadata: ["error": "\(failure)"])
        }
        await tunnel.stop()
    }

    /// The tunnel's route to a VM away, if it is.
    private func remoteRoute(to address: IPv4Address) -> TunnelRoute? {
        tunnel.routes.first { $0.role == .remote && $0.address == address && $0.prefixLength == 32 }
    }

    private func route(_ vm: AwayVM) -> TunnelRoute {
        TunnelRoute(address: vm.homeAddress, peer: vm.siteAddress, framing: vm.framing, role: .remote)
    }
}
