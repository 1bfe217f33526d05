import Synchronization

/// A daemon's inputs waiting for its next batch, in arrival order, and the wake-ups that
/// tell its loop a batch is ready.
///
/// Inputs that arrive while a batch is being handled wait here and form the next batch.
package final class EventInbox<Input: Sendable>: Sendable {
    private let pending = Mutex<[Input]>([])
    /// Yields whenever inputs may be waiting; ends after ``finish()``.
    package let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    package init() {
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    package func submit(_ input: Input) {
        pending.withLock { $0.append(input) }
        wake.yield()
    }

    /// Everything waiting, emptying the inbox.
    package func take() -> [Input] {
        pending.withLock { inputs in defer { inputs.removeAll(keepingCapacity: true) }; return inputs }
    }

    /// Hands each batch to `handle`, in order, until ``finish()`` or cancellation.
    package func drain(_ handle: @Sendable ([Input]) async -> Void) async {
        await withTaskCancellationHandler {
            for await _ in wakes {
                let batch = take()
                if !batch.isEmpty { await handle(batch) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Ends ``wakes``: the daemon's loop finishes.
    package func finish() {
        wake.finish()
    }
}
