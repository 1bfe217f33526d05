import GLMControl
import Metrics
import Synchronization

/// Exports a tunnel's counters as Prometheus counters: `glm_tunnel_packets_total` and
/// `glm_tunnel_bytes_total` by direction, `glm_tunnel_dropped_total` by reason,
/// `glm_tunnel_ebpf_passed_total` by direction (what the eBPF programs left to the
/// user-space path); `glm_tunnel_ebpf`, 1 while the eBPF programs move the packets; and
/// `glm_tunnel_ebpf_pass_all`, 1 while they leave every packet to the user-space path
/// (the kernel refused a map update).
///
/// The tunnel keeps its own totals; ``sample()`` adds what changed since the last call,
/// so calling it at every scrape keeps the exported counters exact.
public final class TunnelMetrics: Sendable {
    private let read: @Sendable () -> TunnelCounters
    private let last = Mutex(TunnelCounters())
    private let packetsIn = Counter(label: "glm_tunnel_packets_total", dimensions: [("direction", "in")])
    private let packetsOut = Counter(label: "glm_tunnel_packets_total", dimensions: [("direction", "out")])
    private let bytesIn = Counter(label: "glm_tunnel_bytes_total", dimensions: [("direction", "in")])
    private let bytesOut = Counter(label: "glm_tunnel_bytes_total", dimensions: [("direction", "out")])
    private let passedOut = Counter(label: "glm_tunnel_ebpf_passed_total", dimensions: [("direction", "out")])
    private let passedIn = Counter(label: "glm_tunnel_ebpf_passed_total", dimensions: [("direction", "in")])
    private let ebpf = Gauge(label: "glm_tunnel_ebpf")
    private let passAll = Gauge(label: "glm_tunnel_ebpf_pass_all")
    private let readDataPlane: @Sendable () -> DataPlaneStatus?
    private let dropped: [(TunnelDropReason, Counter)]

    /// - Parameter dataPlane: what moves the packets now (``TunnelDataPlane/dataPlaneStatus``),
    ///   nil while no data plane runs.
    public init(dataPlane: @escaping @Sendable () -> DataPlaneStatus? = { nil }, read: @escaping @Sendable () -> TunnelCounters) {
        self.read = read
        self.readDataPlane = dataPlane
        dropped = TunnelDropReason.allCases.map { ($0, Counter(label: "glm_tunnel_dropped_total", dimensions: [("reason", $0.rawValue)])) }
    }

    /// The tunnel's totals now.
    public var current: TunnelCounters { read() }

    /// What moves the packets now; nil while no data plane runs.
    public var dataPlane: DataPlaneStatus? { readDataPlane() }

    public func sample() {
        let now = read()
        let before = last.withLock { previous in
            defer { previous = now }
            return previous
        }
        func delta(_ a: UInt64, _ b: UInt64) -> Int64 { a >= b ? Int64(clamping: a - b) : Int64(clamping: a) }
        packetsIn.increment(by: delta(now.packetsIn, before.packetsIn))
        packetsOut.increment(by: delta(now.packetsOut, before.packetsOut))
        bytesIn.increment(by: delta(now.bytesIn, before.bytesIn))
        bytesOut.increment(by: delta(now.bytesOut, before.bytesOut))
        for (reason, counter) in dropped {
            counter.increment(by: delta(now[dropped: reason], before[dropped: reason]))
        }
        passedOut.increment(by: delta(now.passedToUserSpaceOut, before.passedToUserSpaceOut))
        passedIn.increment(by: delta(now.passedToUserSpaceIn, before.passedToUserSpaceIn))
        let plane = readDataPlane()
        let passingAll = plane?.passingAllToUserSpace ?? false
        ebpf.record(plane?.implementation == "ebpf" && !passingAll ? 1 : 0)
        passAll.record(passingAll ? 1 : 0)
    }
}
