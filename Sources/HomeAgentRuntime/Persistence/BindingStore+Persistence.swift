import Dispatch
import HomeAgentCore

/// The SQLite store as the daemon's persistence: each call runs on the store's own
/// queue, so that an `fsync` never holds one of the concurrency pool's threads. Every
/// start takes the next restart counter: a single agent's state is its file.
extension BindingStore: BindingPersistence {
    public func storedBindings() async throws -> [Binding] {
        try await onQueue { try self.loadAll() }
    }

    public func storedPreparations() async throws -> [Preparation] {
        try await onQueue { try self.loadPreparations() }
    }

    public func storedRevocations() async throws -> [Revocation] {
        try await onQueue { try self.loadRevocations() }
    }

    public func commit(_ changes: BindingChanges) async throws {
        try await onQueue {
            try self.apply(saving: changes.saving, deleting: changes.deleting,
                           preparing: changes.preparing, unpreparing: changes.unpreparing,
                           revoking: changes.revoking, unrevoking: changes.unrevoking)
        }
    }

    public func restartCounterForStart() async throws -> UInt32 {
        try await onQueue { try self.nextRestartCounter() }
    }

    public var location: String { path }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
