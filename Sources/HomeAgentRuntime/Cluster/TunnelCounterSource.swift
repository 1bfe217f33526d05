import AgentRuntime
import Synchronization

/// The tunnel whose counters the metrics endpoint reports: the one data plane of a
/// single home agent, or the current term's in a cluster (a new tunnel each term).
final class TunnelCounterSource: Sendable {
    private let tunnel = Mutex<(any TunnelDataPlane)?>(nil)

    var current: (any TunnelDataPlane)? {
        get { tunnel.withLock { $0 } }
        set { tunnel.withLock { $0 = newValue } }
    }

    var counters: TunnelCounters {
        current?.counters ?? TunnelCounters()
    }
}
