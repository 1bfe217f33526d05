import AgentRuntime
import Foundation
import GLMWire
import Synchronization

/// The WAN's delay line: the kernel here has no netem, so the WAN core router hands
/// every packet it forwards to a TUN device, and this holds each one for its link
/// delays (see ``Configuration``) before writing it back for the router to forward on.
///
/// A reader thread stamps each packet with the monotonic clock as it is read, drops
/// it with its links' loss chances, and queues it (see ``DelayQueue``); a writer
/// thread sleeps until the earliest deadline less ``spin``, spins the rest, and writes
/// the packet. The router decremented the packet's TTL on its way into the TUN and will
/// again on its way out: the delay line gives one back, so the WAN core counts as one hop.
///
/// Both threads run in the real-time FIFO class when the process may (as root), so
/// that a busy machine delays packets by microseconds, not milliseconds. Call
/// ``start()`` on the process's main thread (it lowers the process's timer slack, which
/// the threads it starts inherit) and ``stop()`` once.
public final class DelayLine: @unchecked Sendable {
    /// How long before a deadline the writer stops sleeping and spins.
    public static let spin = Duration.microseconds(50)

    public let configuration: Configuration
    public let capacity: Int
    /// The TUN device's interface name.
    public var interfaceName: String { device.name }

    private let device: TunDevice
    // `queue` is guarded by `condition`'s lock.
    private let condition = MonotonicCondition()
    private var queue: DelayQueue
    private let stopping = Atomic<Bool>(false)
    private let forwarded = Atomic<UInt64>(0)
    private let droppedByLoss = Atomic<UInt64>(0)
    private let droppedOverflow = Atomic<UInt64>(0)
    private let failedWrites = Atomic<UInt64>(0)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens the TUN device `interfaceName` (in the calling thread's namespace); the
    /// caller brings it up and routes into it.
    public init(configuration: Configuration, interfaceName: String, capacity: Int = 4096) throws {
        self.configuration = configuration
        self.capacity = capacity
        queue = DelayQueue(capacity: capacity)
        device = try TunDevice(name: interfaceName)
    }

    /// Starts the reader and writer threads.
    public func start() {
        LabClock.makeProcessPunctual()
        for body in [readPackets, writePackets] {
            let thread = Thread { [finished] in
                LabClock.raiseCallingThreadToRealTime()
                body()
                finished.signal()
            }
            thread.start()
        }
    }

    /// Stops both threads, closes the device (which deletes it and its routes), and
    /// returns the counters.
    public func stop() -> Counters {
        if !stopping.exchange(true, ordering: .acquiringAndReleasing) {
            condition.withLock { condition.signal() }
            finished.wait()
            finished.wait()
            device.close()
        }
        return counters
    }

    public var counters: Counters {
        Counters(forwarded: forwarded.load(ordering: .relaxed), droppedByLoss: droppedByLoss.load(ordering: .relaxed),
                 droppedOverflow: droppedOverflow.load(ordering: .relaxed), failedWrites: failedWrites.load(ordering: .relaxed))
    }

    private func readPackets() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        defer { buffer.deallocate() }
        var generator = SystemRandomNumberGenerator()
        while !stopping.load(ordering: .relaxed) {
            var ready = pollfd(fd: device.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) > 0 else { continue }
            while let count = try? device.read(into: buffer) {
                let arrival = LabClock.monotonicNanoseconds()
                var packet = Array(buffer[0..<count])
                var delay: Int64 = 0
                if let (source, destination) = Self.addresses(of: packet) {
                    let links = [source, destination].compactMap(configuration.linkNumber(of:)).map(configuration.link)
                    if links.contains(where: { $0.lossPercent > 0 && Double.random(in: 0..<100, using: &generator) < $0.lossPercent }) {
                        droppedByLoss.add(1, ordering: .relaxed)
                        continue
                    }
                    delay = links.reduce(Int64(0)) { $0 + $1.delay.nanoseconds }
                    Self.giveBackHop(&packet)
                }
                let held = condition.withLock {
                    defer { condition.signal() }
                    return queue.hold(packet, arrival: arrival, delay: delay)
                }
                if !held { droppedOverflow.add(1, ordering: .relaxed) }
            }
        }
    }

    private func writePackets() {
        let spin = Self.spin.nanoseconds
        condition.lock()
        while !stopping.load(ordering: .relaxed) {
            let now = LabClock.monotonicNanoseconds()
            guard let deadline = queue.earliestDeadline else {
                condition.wait(untilMonotonic: now + 100_000_000)
                continue
            }
            if deadline - now > spin {
                condition.wait(untilMonotonic: deadline - spin)
                continue
            }
            guard let packet = queue.removeEarliest() else { continue }
            condition.unlock()
            while LabClock.monotonicNanoseconds() < packet.deadline {}
            do {
                try packet.bytes.withUnsafeBytes { try device.write($0) }
                forwarded.add(1, ordering: .relaxed)
            } catch {
                failedWrites.add(1, ordering: .relaxed)
            }
            condition.lock()
        }
        condition.unlock()
    }

    /// An IPv4 packet's source and destination addresses.
    private static func addresses(of packet: [UInt8]) -> (IPv4Address, IPv4Address)? {
        guard packet.count >= 20, packet[0] >> 4 == 4 else { return nil }
        let word = { (offset: Int) in packet[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        return (IPv4Address(rawValue: word(12)), IPv4Address(rawValue: word(16)))
    }

    /// Adds one to an IPv4 packet's TTL and recomputes its header checksum.
    static func giveBackHop(_ packet: inout [UInt8]) {
        let headerLength = Int(packet[0] & 0x0f) * 4
        guard headerLength >= 20, packet.count >= headerLength, packet[8] < 255 else { return }
        packet[8] += 1
        packet[10] = 0
        packet[11] = 0
        let checksum = internetChecksum(packet[0..<headerLength])
        packet[10] = UInt8(checksum >> 8)
        packet[11] = UInt8(checksum & 0xff)
    }
}
