#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGTERM and SIGINT (stop), and SIGUSR1 (a snapshot), received by waiting rather than
/// by a handler.
///
/// ``block()`` must run before any thread starts, so that every thread inherits the
/// mask and only ``wait(until:)`` on the main thread receives the signals.
struct StopSignals {
    private var signals = sigset_t()

    /// Blocks SIGTERM, SIGINT and SIGUSR1 in the calling thread (and the threads it
    /// starts later).
    static func block() -> StopSignals {
        var stop = StopSignals()
        sigemptyset(&stop.signals)
        sigaddset(&stop.signals, SIGTERM)
        sigaddset(&stop.signals, SIGINT)
        sigaddset(&stop.signals, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &stop.signals, nil)
        return stop
    }

    /// Waits for SIGTERM or SIGINT, or until `seconds` have passed when given; calls
    /// `snapshot` at each SIGUSR1 meanwhile.
    mutating func wait(seconds: Double? = nil, snapshot: () -> Void = {}) {
        let end = seconds.map { ContinuousClock.now + .nanoseconds(Int64($0 * 1e9)) }
        while true {
            let left = end.map { ContinuousClock.now.duration(to: $0) } ?? .seconds(1)
            guard left > .zero else { return }
            let step = min(left, .seconds(1))
            var timeout = timespec(tv_sec: Int(step.components.seconds), tv_nsec: Int(step.components.attoseconds / 1_000_000_000))
            let received = sigtimedwait(&signals, nil, &timeout)
            if received == SIGTERM || received == SIGINT { return }
            if received == SIGUSR1 { snapshot() }
        }
    }
}
