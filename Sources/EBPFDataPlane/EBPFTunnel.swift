import AgentRuntime
internal import CLibBPF
import GLMWire
import Logging
import Synchronization

/// The tunnel in the kernel: the user-space tunnel's device, socket and routing table,
/// with two TC programs moving the packets it would otherwise read and write.
///
/// ``start()`` starts the ``UserSpaceTunnel`` (its TUN is still the device the OS routes
/// tunnelled traffic into, and its socket still owns UDP 5437), loads the programs,
/// attaches `glm_encap` at the TUN's egress and `glm_decap` at the ingress of the
/// interface holding the tunnel address, and mirrors the routing table into their maps
/// (``RoutingTableMirror``) at every change. A packet routed into the TUN is framed and
/// redirected to the WAN before the TUN's reader would see it; a frame for the tunnel
/// address enters the TUN as if the reader had written it. What the programs do not
/// take whole — see `Programs/tunnel.bpf.c` — takes the user-space path unchanged, so
/// both paths decide by the same table and count into the same ``counters``.
///
/// After a `kill -9`, the TUN and its program vanish with the process; the WAN filter
/// stays (with GLM's handle, see ``TrafficControlFilter``) and is replaced at the next
/// start. ``stop()`` removes both.
public final class EBPFTunnel: TunnelDataPlane {
    public let configuration: UserSpaceTunnel.Configuration
    private let userSpace: UserSpaceTunnel
    private let logger: Logger

    private struct Running {
        var program: TunnelProgram
        var mirror: RoutingTableMirror
        var filters: [TrafficControlFilter]
    }

    private let running = Mutex<Running?>(nil)
    /// Kernel counters of the last run, kept after stop like the user-space ones.
    private let lastKernel = Mutex(KernelCounters())

    public init(configuration: UserSpaceTunnel.Configuration, configurator: NetworkConfigurator,
                logger: Logger = Logger(label: "glm.tunnel")) {
        self.configuration = configuration
        self.userSpace = UserSpaceTunnel(configuration: configuration, configurator: configurator, logger: logger)
        self.logger = logger
    }

    public var interfaceName: String { userSpace.interfaceName }

    public var implementation: String { "ebpf" }

    public func start() async throws {
        try startSynchronously()
    }

    /// ``start()`` for callers outside Swift concurrency.
    public func startSynchronously() throws {
        guard running.withLock({ $0 == nil }) else {
            throw DataPlaneError(.alreadyStarted, "\(interfaceName) is already running")
        }
        guard let wan = NetworkInterface.name(holding: configuration.localAddress) else {
            throw DataPlaneError(.interface, "no interface holds the tunnel address \(configuration.localAddress)")
        }
        let program = try TunnelProgram()
        do {
            try userSpace.startSynchronously()
        } catch {
            program.close()
            throw error
        }
        var filters: [TrafficControlFilter] = []
        do {
            guard let wanIndex = NetworkInterface.index(of: wan), let tunnelIndex = NetworkInterface.index(of: userSpace.interfaceName) else {
                throw DataPlaneError(.interface, "\(wan) or \(userSpace.interfaceName) vanished while the tunnel started")
            }
            var settings = glm_settings()
            settings.local_address = configuration.localAddress.rawValue.bigEndian
            settings.wan_ifindex = UInt32(wanIndex)
            settings.tunnel_ifindex = UInt32(tunnelIndex)
            settings.port = configuration.port.bigEndian
            try program.maps.write(settings)
            let mirror = RoutingTableMirror(maps: program.maps, settings: settings, logger: logger)
            userSpace.observeTable { table, change in mirror.mirror(table, change) }
            filters.append(try TrafficControlFilter.attach(program.encapsulation, to: userSpace.interfaceName, .egress))
            filters.append(try TrafficControlFilter.attach(program.decapsulation, to: wan, .ingress))
            if filters.contains(where: \.replacedLeftover) {
                logger.notice("replaced the tunnel program a killed run left attached", metadata: ["interface": "\(wan)"])
            }
            running.withLock { $0 = Running(program: program, mirror: mirror, filters: filters) }
            lastKernel.withLock { $0 = KernelCounters() }
            logger.info("eBPF tunnel attached", metadata: [
                "device": "\(userSpace.interfaceName)", "wan": "\(wan)", "local": "\(configuration.localAddress):\(configuration.port)",
            ])
        } catch {
            userSpace.observeTable(nil)
            for filter in filters.reversed() { _ = filter.detach() }
            userSpace.stopSynchronously()
            program.close()
            throw error
        }
    }

    /// Detaches the programs (the WAN's filter first: from then on the socket gets every
    /// frame), then stops the user-space tunnel, which closes the TUN.
    public func stop() async {
        stopSynchronously()
    }

    /// ``stop()`` for callers outside Swift concurrency.
    public func stopSynchronously() {
        guard let state = running.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        lastKernel.withLock { $0 = state.program.maps.readCounters() }
        userSpace.observeTable(nil)
        for filter in state.filters.reversed() {
            if let failure = filter.detach() {
                logger.warning("could not detach a tunnel program", metadata: ["error": "\(failure)"])
            }
        }
        userSpace.stopSynchronously()
        state.program.close()
        logger.info("eBPF tunnel detached", metadata: ["device": "\(userSpace.interfaceName)"])
    }

    /// ``install(_:)`` for callers outside Swift concurrency.
    public func installSynchronously(_ route: TunnelRoute) throws(DataPlaneError) {
        try userSpace.installSynchronously(route)
    }

    /// ``remove(_:prefixLength:)`` for callers outside Swift concurrency.
    public func removeSynchronously(_ address: IPv4Address, prefixLength: Int = 32) {
        userSpace.removeSynchronously(address, prefixLength: prefixLength)
    }

    /// Whether the user-space path uses segmentation offload.
    public var usesSegmentationOffload: Bool { userSpace.usesSegmentationOffload }

    public func install(_ route: TunnelRoute) async throws { try await userSpace.install(route) }
    public func remove(_ address: IPv4Address, prefixLength: Int) async throws {
        try await userSpace.remove(address, prefixLength: prefixLength)
    }
    public func retire(_ route: TunnelRoute, for grace: Duration) async { await userSpace.retire(route, for: grace) }
    public func prepare(_ route: TunnelRoute) async { await userSpace.prepare(route) }
    public func unprepare(_ route: TunnelRoute) async { await userSpace.unprepare(route) }
    public func deliverLocally(_ address: IPv4Address, _ delivery: LocalDelivery?) async {
        await userSpace.deliverLocally(address, delivery)
    }
    public var routes: [TunnelRoute] { userSpace.routes }

    /// Both paths' counters as one.
    public var counters: TunnelCounters {
        var total = userSpace.counters
        total.add(kernelCounters.tunnel)
        return total
    }

    /// The programs' own counters: what they moved and dropped, and what they left to the
    /// user-space path.
    public var kernelCounters: KernelCounters {
        running.withLock { $0?.program.maps.readCounters() } ?? lastKernel.withLock { $0 }
    }

    /// What the programs' maps hold now, as routing-table entries (each kind's routes in
    /// no particular order); nil while stopped. ``TunnelRoutingTable/entries`` of
    /// ``routingTable`` is what they must equal.
    public var kernelEntries: TunnelRoutingEntries? {
        running.withLock { $0?.program.maps.contents() }
    }

    /// The routing table both paths decide by.
    public var routingTable: TunnelRoutingTable { userSpace.routingTable }

    /// True while a refused map update has the programs leave every packet to user space.
    public var isDegraded: Bool { running.withLock { $0?.mirror.isDegraded ?? false } }
}
