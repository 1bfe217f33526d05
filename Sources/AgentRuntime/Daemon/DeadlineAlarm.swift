/// Wakes a sans-I/O core when its next deadline passes: one sleeping task, re-armed only
/// when the deadline changes.
package struct DeadlineAlarm {
    private var task: Task<Void, Never>?
    private var armed: Double?

    package init() {}

    /// Arms for `deadline` (nil disarms); `fire` runs once it has passed by `now()`.
    package mutating func arm(for deadline: Double?, now: @escaping @Sendable () -> Double,
                              fire: @escaping @Sendable () -> Void) {
        guard let deadline else {
            cancel()
            return
        }
        guard deadline != armed else { return }
        armed = deadline
        task?.cancel()
        task = Task {
            let delay = max(0, deadline - now())
            try? await Task.sleep(for: .milliseconds(Int64((delay * 1000).rounded(.up))))
            if Task.isCancelled { return }
            fire()
        }
    }

    /// The armed deadline was handled: the next ``arm(for:now:fire:)`` arms again even
    /// for the same time.
    package mutating func fired() {
        armed = nil
    }

    package mutating func cancel() {
        task?.cancel()
        task = nil
        armed = nil
    }
}
