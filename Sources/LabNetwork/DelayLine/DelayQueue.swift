/// The packets a delay line holds, each until its deadline: one first-in first-out lane
/// per delay value.
///
/// Packets of one delay arrive in order and so fall due in order: a lane's head is its
/// earliest, and the earliest packet overall is the earliest lane head. Every packet of
/// a (source, destination) pair has the same delay, so each pair leaves in the order it
/// came. The queue holds at most `capacity` packets; the caller counts the refusals.
/// A plain value: the delay line guards it with its lock.
struct DelayQueue {
    struct HeldPacket {
        var bytes: [UInt8]
        /// When the packet falls due, in monotonic nanoseconds.
        var deadline: Int64
    }

    let capacity: Int
    private(set) var count = 0
    private var lanes: [Int64: Lane] = [:]

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Holds `bytes` until `arrival + delay`; false (and nothing held) when full.
    mutating func hold(_ bytes: [UInt8], arrival: Int64, delay: Int64) -> Bool {
        guard count < capacity else { return false }
        lanes[delay, default: Lane()].append(HeldPacket(bytes: bytes, deadline: arrival + delay))
        count += 1
        return true
    }

    /// The deadline of the packet that falls due first, or nil when nothing is held.
    var earliestDeadline: Int64? {
        lanes.values.compactMap(\.first?.deadline).min()
    }

    /// Removes and returns the packet that falls due first.
    mutating func removeEarliest() -> HeldPacket? {
        guard let delay = lanes.min(by: { ($0.value.first?.deadline ?? .max) < ($1.value.first?.deadline ?? .max) })?.key,
              let packet = lanes[delay]?.removeFirst() else { return nil }
        count -= 1
        return packet
    }

    /// A first-in first-out list over an array, compacted as its head advances.
    private struct Lane {
        private var packets: [HeldPacket] = []
        private var head = 0

        var first: HeldPacket? { head < packets.count ? packets[head] : nil }

        mutating func append(_ packet: HeldPacket) {
            packets.append(packet)
        }

        mutating func removeFirst() -> HeldPacket? {
            guard let packet = first else { return nil }
            head += 1
            if head == packets.count {
                packets.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 1024 {
                packets.removeFirst(head)
                head = 0
            }
            return packet
        }
    }
}
