import Dispatch
import Foundation
import LabNetwork
import Synchronization

/// SIGINT and SIGTERM during a run: every process the lab started (by PID, namespace by
/// namespace) and every namespace and device it made are removed before the exit.
/// Either lab — ``LabTopology`` or ``FederationTopology`` — is guarded: both remove
/// themselves synchronously and idempotently, as a signal handler's path needs.
final class Interruption: Sendable {
    private let removal = Mutex<(@Sendable () -> Void)?>(nil)
    // Kept for the life of the process; written once, by `install`.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                print("glm-lab: interrupted; removing the lab")
                removal.withLock { $0?() }
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }

    func `guard`(_ lab: LabTopology) {
        removal.withLock { $0 = { lab.remove() } }
    }

    func `guard`(_ lab: FederationTopology) {
        removal.withLock { $0 = { lab.remove() } }
    }

    func release() {
        removal.withLock { $0 = nil }
    }
}
