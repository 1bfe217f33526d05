import Metrics
import Synchronization

/// Counters of one metric told apart by one label, created the first time a value is
/// seen and reused after: `glm_home_updates_total{status="accepted"}` and its siblings.
public final class CounterFamily: Sendable {
    private let label: String
    private let dimension: String
    private let counters = Mutex<[String: Counter]>([:])

    /// `values` are created at once, so their series show (at 0) before anything counts.
    public init(label: String, dimension: String, values: [String] = []) {
        self.label = label
        self.dimension = dimension
        for value in values {
            _ = counter(value)
        }
    }

    public func increment(_ value: String) {
        counter(value).increment()
    }

    private func counter(_ value: String) -> Counter {
        counters.withLock { counters in
            if let counter = counters[value] { return counter }
            let counter = Counter(label: label, dimensions: [(dimension, value)])
            counters[value] = counter
            return counter
        }
    }
}
