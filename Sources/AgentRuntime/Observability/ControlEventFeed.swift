import GLMControl
import Synchronization

/// Hands each ``ControlEvent`` to every `watch` connection open at the time. A watcher
/// that reads too slowly loses its oldest events rather than holding the agent up.
public final class ControlEventFeed: Sendable {
    private let watchers = Mutex<[Int: AsyncStream<ControlEvent>.Continuation]>([:])
    private let nextWatcher = Atomic<Int>(0)

    public init() {}

    /// Events from now on, until the stream is dropped.
    public func subscribe() -> AsyncStream<ControlEvent> {
        let (stream, continuation) = AsyncStream<ControlEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.backlog))
        let key = nextWatcher.add(1, ordering: .relaxed).newValue
        watchers.withLock { $0[key] = continuation }
        continuation.onTermination = { [weak self] _ in
            self?.watchers.withLock { _ = $0.removeValue(forKey: key) }
        }
        return stream
    }

    public func publish(_ event: ControlEvent) {
        let current = watchers.withLock { Array($0.values) }
        for watcher in current { watcher.yield(event) }
    }

    public var watcherCount: Int { watchers.withLock { $0.count } }

    /// Events kept for a watcher that has not read them yet.
    static let backlog = 4096
}
