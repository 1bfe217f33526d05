import GLMWire
import Logging
import Synchronization

/// The tunnel in user space: a TUN device and a UDP socket on the tunnel port, with
/// a routing table deciding what crosses (``TunnelDataPlane``).
///
/// Packets the OS routes into the TUN are looked up by inner destination (or, for an
/// anchored route, inner source), framed (``TunnelFrame``) and sent to the route's
/// peer on UDP 5437. Datagrams arriving on the socket are decoded and written into
/// the TUN only if the route of their inner source (or anchored destination) names
/// the datagram's sender as peer and carries the same GRE key; everything else is
/// dropped and counted by reason (``TunnelCounters``).
///
/// Two threads move the packets, one per direction, blocking in system calls and
/// batching them (`TunnelForwarder`): plain POSIX I/O rather than SwiftNIO, because a
/// TUN descriptor is not a stream NIO can drive (NIO would coalesce queued writes into
/// one `writev`, which a TUN takes as one packet), and because a thread that owns its
/// buffers reads, frames and sends a batch with no allocation, no event-loop hop and
/// one `sendmmsg`/`recvmmsg` per batch. With segmentation offload (the default) the
/// TUN hands over TCP super-packets of up to 64 KiB, which leave as runs of datagrams
/// in one `UDP_SEGMENT` send and are joined again before the far TUN: the kernel's
/// own TSO and GRO, done here, since a TUN cannot offload them to hardware.
///
/// MTU: the TUN gets ``defaultMTU`` (1460), which leaves room for the outer IPv4 and
/// UDP headers (28 octets) and the largest framing, TLV + GRE with key (12 octets),
/// under a 1500-octet WAN MTU, so a full TUN packet travels as one unfragmented
/// datagram. A 1500-octet packet from the LAN or the VM meets the 1460 MTU at the
/// agent's own host, its first hop: without DF the kernel fragments it there and
/// the fragments cross as two datagrams (the receiver reassembles); with DF (TCP)
/// the kernel answers "fragmentation needed, MTU 1460" and the sender's path-MTU
/// discovery shrinks its segments. That ICMP comes from the first hop on the sender's
/// own LAN, so no firewall on the way can swallow it, and it covers connections
/// already open when a VM migrates (which MSS clamping, acting only on SYNs, could
/// not). Outer datagrams are sent without DF (`IP_PMTUDISC_DONT`) so a narrower WAN
/// fragments them instead of dropping them.
public final class UserSpaceTunnel: TunnelDataPlane {
    /// 1500 − 20 (outer IPv4) − 8 (UDP) − 4 (TLV) − 8 (GRE with key).
    public static let defaultMTU = 1500 - 28 - 12

    public struct Configuration: Sendable {
        /// The TUN's name (a template such as `glm%d` lets the kernel number it).
        public var interfaceName: String
        /// The local address the UDP socket binds: the outer source of what is sent.
        public var localAddress: IPv4Address
        public var port: UInt16
        public var mtu: Int
        /// Send and receive buffer of the socket, octets.
        public var socketBufferSize: Int
        /// Most packets moved per system call.
        public var batchSize: Int
        /// Let the kernel hand the TUN's reader TCP packets of up to 64 KiB, cut here into
        /// MTU-sized segments and sent with UDP segmentation offload, and coalesce
        /// received TCP segments before writing them into the TUN (`TCPSegmenter`,
        /// `TCPCoalescer`): about six times the throughput of one packet per system
        /// call. Falls back to plain packets where the kernel lacks TUN offloads.
        public var segmentationOffload: Bool

        public init(localAddress: IPv4Address, interfaceName: String = "glm0", port: UInt16 = TunnelFrame.port,
                    mtu: Int = UserSpaceTunnel.defaultMTU, socketBufferSize: Int = 4 << 20, batchSize: Int = 64,
                    segmentationOffload: Bool = true) {
            self.interfaceName = interfaceName
            self.localAddress = localAddress
            self.port = port
            self.mtu = mtu
            self.socketBufferSize = socketBufferSize
            self.batchSize = batchSize
            self.segmentationOffload = segmentationOffload
        }
    }

    private struct Running {
        var forwarder: TunnelForwarder
        var threads: [WorkerThread]
    }

    private struct State {
        var table = TunnelRoutingTable()
        var running: Running?
        var interfaceName: String
        var lastCounters = TunnelCounters()
        var observer: (@Sendable (TunnelRoutingTable, TunnelTableChange) -> Void)?
    }

    public let configuration: Configuration
    private let configurator: NetworkConfigurator
    private let logger: Logger
    private let state: Mutex<State>

    /// - Parameter configurator: where the TUN's MTU and link state are applied, so that
    ///   the agent's teardown sees one record of everything it changed.
    public init(configuration: Configuration, configurator: NetworkConfigurator,
                logger: Logger = Logger(label: "glm.tunnel")) {
        self.configuration = configuration
        self.configurator = configurator
        self.logger = logger
        self.state = Mutex(State(interfaceName: configuration.interfaceName))
    }

    public var interfaceName: String {
        state.withLock { $0.interfaceName }
    }

    public var implementation: String { "user-space" }

    /// Whether segmentation offload is in use (asked for, and granted by the kernel).
    public var usesSegmentationOffload: Bool {
        state.withLock { $0.running?.forwarder.device.segmentationOffload ?? false }
    }

    public func start() async throws {
        try startSynchronously()
    }

    /// ``start()`` for callers outside Swift concurrency.
    public func startSynchronously() throws {
        try state.withLock { (state: inout State) throws in
            guard state.running == nil else {
                throw DataPlaneError(.alreadyStarted, "\(state.interfaceName) is already running")
            }
            guard (576...65_535).contains(configuration.mtu), configuration.batchSize > 0 else {
                throw DataPlaneError(.invalidArgument, "MTU \(configuration.mtu), batch \(configuration.batchSize)")
            }
            let device = try openDevice()
            do {
                let socket = try TunnelSocket(localAddress: configuration.localAddress, port: configuration.port,
                                              bufferSize: configuration.socketBufferSize)
                if device.segmentationOffload, !socket.enableReceiveCoalescing() {
                    logger.debug("UDP_GRO unavailable; receiving datagrams one by one")
                }
                // No IPv6 on the TUN: the kernel would otherwise send router solicitations into it.
                try? configurator.set(.ipv6("disable_ipv6", interface: device.name), to: "1")
                try configurator.apply([.link(device.name, mtu: configuration.mtu, up: true)])
                let forwarder = try TunnelForwarder(device: device, socket: socket, routes: state.table,
                                                    mtu: configuration.mtu, batchSize: configuration.batchSize,
                                                    logger: logger)
                var threads: [WorkerThread] = []
                do {
                    threads.append(try WorkerThread(name: "glm-encap") { forwarder.runEncapsulation() })
                    threads.append(try WorkerThread(name: "glm-decap") { forwarder.runDecapsulation() })
                } catch {
                    forwarder.stop()
                    threads.forEach { $0.join() }
                    socket.close()
                    throw error
                }
                state.running = Running(forwarder: forwarder, threads: threads)
                state.interfaceName = device.name
                state.lastCounters = TunnelCounters()
                logger.info("tunnel started", metadata: [
                    "interface": "\(device.name)", "local": "\(configuration.localAddress):\(configuration.port)",
                    "mtu": "\(configuration.mtu)", "offload": "\(device.segmentationOffload)",
                ])
            } catch {
                device.close()
                configurator.forget(device: device.name)
                throw error
            }
        }
    }

    private func openDevice() throws(DataPlaneError) -> TunDevice {
        if configuration.segmentationOffload {
            do {
                return try TunDevice(name: configuration.interfaceName, segmentationOffload: true)
            } catch {
                logger.debug("TUN segmentation offload unavailable", metadata: ["error": "\(error)"])
            }
        }
        return try TunDevice(name: configuration.interfaceName)
    }

    public func stop() async {
        stopSynchronously()
    }

    /// ``stop()`` for callers outside Swift concurrency. Waits for both threads (they
    /// notice within one batch), then closes the socket and the TUN, which takes its
    /// routes with it.
    public func stopSynchronously() {
        state.withLock { state in
            guard let running = state.running else { return }
            running.forwarder.stop()
            for thread in running.threads { thread.join() }
            state.lastCounters = running.forwarder.counters.snapshot
            running.forwarder.socket.close()
            running.forwarder.device.close()
            configurator.forget(device: running.forwarder.device.name)
            state.running = nil
            logger.info("tunnel stopped", metadata: ["interface": "\(running.forwarder.device.name)"])
        }
    }

    public func install(_ route: TunnelRoute) async throws {
        try installSynchronously(route)
    }

    /// ``install(_:)`` for callers outside Swift concurrency.
    public func installSynchronously(_ route: TunnelRoute) throws(DataPlaneError) {
        guard (0...32).contains(route.prefixLength) else {
            throw DataPlaneError(.invalidArgument, "prefix length \(route.prefixLength) of \(route.address)")
        }
        state.withLock { state in
            state.table.insert(route)
            publish(state, .prefix(route.address, route.prefixLength))
        }
        logger.debug("tunnel route installed", metadata: ["route": "\(route)"])
    }

    public func remove(_ address: IPv4Address, prefixLength: Int) async throws {
        removeSynchronously(address, prefixLength: prefixLength)
    }

    public func prepare(_ route: TunnelRoute) async {
        state.withLock { state in
            state.table.prepare(route)
            publish(state, .prefix(route.address, route.prefixLength))
        }
        logger.debug("tunnel preparation installed", metadata: ["route": "\(route)"])
    }

    public func deliverLocally(_ address: IPv4Address, _ delivery: LocalDelivery?) async {
        state.withLock { state in
            state.table.deliverLocally(address, delivery)
            publish(state, .prefix(address, 32))
        }
    }

    public func unprepare(_ route: TunnelRoute) async {
        state.withLock { state in
            state.table.unprepare(route)
            publish(state, .prefix(route.address, route.prefixLength))
        }
    }

    public func retire(_ route: TunnelRoute, for grace: Duration) async {
        state.withLock { state in
            state.table.retire(route)
            publish(state, .prefix(route.address, route.prefixLength))
        }
        Task { [weak self] in
            try? await Task.sleep(for: grace)
            self?.state.withLock { state in
                state.table.forget(retired: route)
                self?.publish(state, .prefix(route.address, route.prefixLength))
            }
        }
    }

    /// ``remove(_:prefixLength:)`` for callers outside Swift concurrency.
    public func removeSynchronously(_ address: IPv4Address, prefixLength: Int = 32) {
        state.withLock { state in
            state.table.remove(address, prefixLength: prefixLength)
            publish(state, .prefix(address, prefixLength))
        }
    }

    private func publish(_ state: State, _ change: TunnelTableChange) {
        let table = state.table
        state.observer?(table, change)
        guard let forwarder = state.running?.forwarder else { return }
        forwarder.routes.withLock { $0 = table }
    }

    /// Calls `observer` with the routing table now (``TunnelTableChange/everything``),
    /// and after every change to it (routes, preparations, retirements as their grace
    /// ends, local deliveries) with the prefix it touched, in order, while the change is
    /// being made: a data plane that mirrors the table into the kernel sees every state
    /// the user-space one does, and rewrites only what changed.
    public func observeTable(_ observer: (@Sendable (TunnelRoutingTable, TunnelTableChange) -> Void)?) {
        state.withLock { state in
            state.observer = observer
            observer?(state.table, .everything)
        }
    }

    /// The routing table in force.
    public var routingTable: TunnelRoutingTable {
        state.withLock { $0.table }
    }

    public var routes: [TunnelRoute] {
        state.withLock { $0.table.routes }
    }

    /// Counters since the last start (kept after stop).
    public var counters: TunnelCounters {
        state.withLock { $0.running?.forwarder.counters.snapshot ?? $0.lastCounters }
    }
}
