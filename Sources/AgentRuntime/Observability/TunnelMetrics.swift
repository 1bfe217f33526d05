import Metrics
import Synchronization

/// Exports a tunnel's counters as Prometheus counters: `glm_tunnel_packets_total` and
/// `glm_tunnel_bytes_total` by direction, `glm_tunnel_dropped_total` by reason,
/// `glm_tunnel_ebpf_passed_total` by direction (what the eBPF programs left to the
/// user-space path); and `glm_tunnel_ebpf`, 1 while the eBPF programs move the packets.
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
    private let implementation: @Sendable () -> String?
    private let dropped: [(TunnelDropReason, Counter)]

    /// - Parameter implementation: what moves the packets now (``TunnelDataPlane/implementation``),
    ///   nil while no data plane runs.
    public init(implementation: @escaping @Sendable () -> String? = { nil }, read: @escaping @Sendable () -> TunnelCounters) {
        self.read = read
        self.implementation = implementation
        dropped = TunnelDropReason.allCases.map { ($0, Counter(label: "glm_tunnel_dropped_total", dimensions: [("reason", $0.rawValue)])) }
    }

    /// The tunnel's totals now.
    public var current: TunnelCounters { read() }

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
        ebpf.record(implementation() == "ebpf" ? 1 : 0)
    }
}
