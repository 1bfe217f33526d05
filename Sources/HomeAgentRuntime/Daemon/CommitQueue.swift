import GLMWire
import HomeAgentCore
import Logging
import NIOCore
import Synchronization

/// Makes binding changes durable off the daemon's executor, and releases the replies that
/// announce them only once they are.
///
/// The daemon hands over each batch's changes and replies and goes on with the next
/// batch. One writer at a time takes everything waiting, commits it in one transaction
/// (one flush), then sends the replies of those batches in order. While a flush is under
/// way the next batches gather, so the flush is shared by however many updates arrived
/// meanwhile (group commit), and the protocol work overlaps the disk's.
final class CommitQueue: Sendable {
    struct Commit: Sendable {
        /// The final state of each VM the batch changed: a binding to save, or nil to delete.
        var changes: [MACAddress: Binding?]
        /// The final state of each VM's preparation the batch changed.
        var preparations: [MACAddress: Preparation?]
        /// The final state of each revocation the batch changed: owed, or nil once settled.
        var revocations: [RevocationKey: Revocation?] = [:]
        var replies: [(bytes: ByteBuffer, to: IPv4Address, port: UInt16)]
    }

    private struct State {
        var pending: [Commit] = []
        var writing = false
    }

    private let state = Mutex(State())
    private let store: any BindingPersistence
    private let logger: Logger
    private let release: @Sendable ([(bytes: ByteBuffer, to: IPv4Address, port: UInt16)]) -> Void
    private let failed: @Sendable (any Error) -> Void

    /// `failed` hears of every commit that did not take (its replies are withheld): a
    /// cluster member learns there that its term is over.
    init(store: any BindingPersistence, logger: Logger,
         release: @escaping @Sendable ([(bytes: ByteBuffer, to: IPv4Address, port: UInt16)]) -> Void,
         failed: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.store = store
        self.logger = logger
        self.release = release
        self.failed = failed
    }

    func submit(_ commit: Commit) {
        let start = state.withLock { state -> Bool in
            state.pending.append(commit)
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    /// Whether nothing is waiting or being written.
    var isIdle: Bool { state.withLock { !$0.writing && $0.pending.isEmpty } }

    private func drain() async {
        while true {
            let commits = state.withLock { state -> [Commit] in
                let taken = state.pending
                state.pending.removeAll(keepingCapacity: true)
                if taken.isEmpty { state.writing = false }
                return taken
            }
            guard !commits.isEmpty else { return }
            var changes: [MACAddress: Binding?] = [:]
            var preparations: [MACAddress: Preparation?] = [:]
            var revocations: [RevocationKey: Revocation?] = [:]
            for commit in commits {
                changes.merge(commit.changes) { _, newer in newer }
                preparations.merge(commit.preparations) { _, newer in newer }
                revocations.merge(commit.revocations) { _, newer in newer }
            }
            if !changes.isEmpty || !preparations.isEmpty || !revocations.isEmpty {
                do {
                    try await store.commit(BindingChanges(
                        saving: changes.values.compactMap { $0 },
                        deleting: changes.compactMap { $0.value == nil ? $0.key : nil },
                        preparing: preparations.values.compactMap { $0 },
                        unpreparing: preparations.compactMap { $0.value == nil ? $0.key : nil },
                        revoking: revocations.values.compactMap { $0 },
                        unrevoking: revocations.compactMap { $0.value == nil ? $0.key : nil }))
                } catch {
                    logger.error("binding changes not persisted; their acknowledgements are withheld",
                                 metadata: ["changes": "\(changes.count)", "store": "\(store.location)", "error": "\(error)"])
                    failed(error)
                    continue
                }
            }
            release(commits.flatMap(\.replies))
        }
    }
}
