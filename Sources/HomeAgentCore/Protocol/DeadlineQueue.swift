/// A min-heap of deadlines with keys. Entries are not removed when they stop mattering:
/// the owner checks, when one comes due, whether it is still wanted.
struct DeadlineQueue<Key: Sendable>: Sendable {
    private var heap: [(deadline: Double, key: Key)] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var earliest: Double? { heap.first?.deadline }

    mutating func insert(_ key: Key, at deadline: Double) {
        heap.append((deadline, key))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Adds many entries at once: appended, then the heap rebuilt from its lowest parents
    /// up (linear time), where inserting them one by one would sift each up. How a
    /// restore of a million bindings queues their expiries.
    mutating func insert(contentsOf entries: some Collection<(key: Key, deadline: Double)>) {
        heap.reserveCapacity(heap.count + entries.count)
        for entry in entries { heap.append((entry.deadline, entry.key)) }
        guard heap.count > 1 else { return }
        for start in stride(from: heap.count / 2 - 1, through: 0, by: -1) {
            siftDown(from: start)
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(at now: Double) -> (deadline: Double, key: Key)? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(from: 0)
        }
        return first
    }
}
