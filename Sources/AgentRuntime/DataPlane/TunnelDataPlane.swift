import GLMControl
import GLMWire

/// The data plane an agent drives: a tunnel device whose routing table says which
/// inner addresses go to and come from which peer.
///
/// ``UserSpaceTunnel`` fills it with a TUN device and a UDP socket; `EBPFTunnel`
/// (the `EBPFDataPlane` target) with TC programs over the same device and socket. The
/// agent routes traffic into ``interfaceName`` with the OS's own routing
/// (see ``NetworkConfigurator``); the data plane moves packets between that
/// interface and the peers, and refuses what the routes do not admit.
public protocol TunnelDataPlane: AnyObject, Sendable {
    /// The interface the OS routes tunnelled traffic into; known after ``start()``.
    var interfaceName: String { get }
    /// Opens the device and the socket and starts moving packets.
    func start() async throws
    /// Stops moving packets and releases the device and the socket. Idempotent.
    func stop() async
    /// Adds a route, or replaces the one for the same prefix and role.
    func install(_ route: TunnelRoute) async throws
    /// Removes the routes for `address/prefixLength`; removing a missing route is no error.
    func remove(_ address: IPv4Address, prefixLength: Int) async throws
    /// Keeps admitting what `route`'s peer sends from its prefix for `grace`, without
    /// sending by it: a VM's packets already on their way from the site it left.
    func retire(_ route: TunnelRoute, for grace: Duration) async
    /// Sends a copy of what goes to `route`'s prefix to `route`'s peer as well, and admits
    /// what it sends from there, until ``unprepare(_:)`` (make-before-break).
    func prepare(_ route: TunnelRoute) async
    /// Ends ``prepare(_:)`` for `route`.
    func unprepare(_ route: TunnelRoute) async
    /// Copies what goes to `address` onto a LAN of this host, or (nil) stops copying.
    func deliverLocally(_ address: IPv4Address, _ delivery: LocalDelivery?) async
    /// The routes in force.
    var routes: [TunnelRoute] { get }
    /// The counters since start.
    var counters: TunnelCounters { get }
    /// What moves the packets, for logs, status and metrics: `user-space` or `ebpf`.
    var implementation: String { get }
    /// True while the eBPF programs leave every packet to the user-space path (the kernel
    /// refused a map update); always false in user space.
    var isDegraded: Bool { get }
}

extension TunnelDataPlane {
    public var isDegraded: Bool { false }

    /// What moves the packets now, as `status` says it.
    public var dataPlaneStatus: DataPlaneStatus {
        DataPlaneStatus(implementation: implementation, passingAllToUserSpace: isDegraded)
    }

    /// Removes the host route for `address`.
    public func remove(_ address: IPv4Address) async throws {
        try await remove(address, prefixLength: 32)
    }
}
