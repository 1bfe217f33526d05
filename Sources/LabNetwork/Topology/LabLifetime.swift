import Foundation
import LabProcesses
import Synchronization

/// What a namespace lab must undo at its end besides its own namespaces: the namespace
/// VMs it made and the delay line it runs. ``remove(namespaces:scratch:commands:)`` is
/// synchronous and idempotent, for a signal handler's path and after a failed build.
final class LabLifetime: Sendable {
    private struct State {
        var vmNamespaces: [String] = []
        var delayLine: ChildProcess?
        var removed = false
    }

    private let state = Mutex(State())
    private let removal = Mutex(())

    /// A namespace VM's namespace, deleted with the lab.
    func adopt(vmNamespace: String) {
        state.withLock { $0.vmNamespaces.append(vmNamespace) }
    }

    /// The running delay line, killed with the lab.
    func adopt(delayLine: ChildProcess) {
        state.withLock { $0.delayLine = delayLine }
    }

    /// The delay line, no longer the lab's to kill; nil when there is none.
    func takeDelayLine() -> ChildProcess? {
        state.withLock { state in
            defer { state.delayLine = nil }
            return state.delayLine
        }
    }

    /// Kills the delay line and whatever runs in `namespaces` and the VMs' namespaces,
    /// deletes them and `scratch`. A second caller (a scenario's error path while a
    /// signal handler removes the lab) waits until the first is done, so the process
    /// cannot exit halfway.
    func remove(namespaces: [String], scratch: String, commands: NamespaceCommands) {
        removal.withLock { _ in
            let claimed = state.withLock { state -> (vmNamespaces: [String], delayLine: ChildProcess?)? in
                guard !state.removed else { return nil }
                state.removed = true
                defer { state.delayLine = nil }
                return (state.vmNamespaces, state.delayLine)
            }
            guard let (vmNamespaces, delayLine) = claimed else { return }
            delayLine?.kill()
            commands.deleteNamespaces(namespaces + vmNamespaces)
            try? FileManager.default.removeItem(atPath: scratch)
        }
    }
}
