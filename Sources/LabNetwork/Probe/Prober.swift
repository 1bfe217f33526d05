import Foundation
import GLMWire
import Synchronization

/// The correspondent's prober: numbered ICMP echo requests to one target at a fixed
/// cadence, every reply's arrival recorded, the result a ``ProbeLog``.
///
/// A sender thread sends probe k at `start + (k - 1) × interval` on the monotonic clock
/// (absolute deadlines: a late wake-up sends at once and does not shift later probes),
/// stamping each send with the wall clock just before it. A receiver thread reads a raw
/// ICMP socket; each reply carries the kernel's wall-clock stamp of its arrival
/// (SO_TIMESTAMPNS), so the receiver's own scheduling does not lengthen round trips.
/// Replies to a probe already answered count as duplicates. Both threads run in the
/// real-time class when allowed (see ``DelayLine``). The identifier in every request is
/// the process id's low 16 bits, so probers in one namespace ignore each other's
/// replies. Needs CAP_NET_RAW.
///
/// Call ``start()`` on the process's main thread (see ``DelayLine/start()``), then
/// ``stop(grace:)`` once.
public final class Prober: @unchecked Sendable {
    public let target: IPv4Address
    public let interval: Duration

    private let socket: Int32
    private let identifier = UInt16(truncatingIfNeeded: getpid())
    private let record = Mutex(Record())
    private let stopSending = Atomic<Bool>(false)
    private let stopReceiving = Atomic<Bool>(false)
    private let senderFinished = DispatchSemaphore(value: 0)
    private let receiverFinished = DispatchSemaphore(value: 0)

    private struct Record {
        var probes: [ProbeLog.Probe] = []
        var duplicates = 0
    }

    /// Opens the raw ICMP socket (in the calling thread's namespace).
    public init(target: IPv4Address, interval: Duration) throws {
        self.target = target
        self.interval = interval
        socket = Glibc.socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMP))
        guard socket >= 0 else { throw ProberError("raw ICMP socket: \(String(cString: strerror(errno)))") }
        // Wake the receiver every 100 ms to see whether it should stop.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bufferSize: Int32 = 1 << 20
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
        var on: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_TIMESTAMPNS, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        close(socket)
    }

    /// Starts sending and receiving.
    public func start() {
        LabClock.makeProcessPunctual()
        let receiver = Thread { [self] in
            LabClock.raiseCallingThreadToRealTime()
            receiveReplies()
            receiverFinished.signal()
        }
        let sender = Thread { [self] in
            LabClock.raiseCallingThreadToRealTime()
            sendProbes()
            senderFinished.signal()
        }
        receiver.start()
        sender.start()
    }

    /// Stops sending, waits `grace` for late replies (blocking the calling thread), stops
    /// receiving, and returns what was recorded.
    public func stop(grace: Duration) -> ProbeLog {
        stopSending.store(true, ordering: .releasing)
        senderFinished.wait()
        LabClock.sleep(untilMonotonic: LabClock.monotonicNanoseconds() + grace.nanoseconds)
        stopReceiving.store(true, ordering: .releasing)
        receiverFinished.wait()
        return record.withLock {
            ProbeLog(target: target.description, intervalNanoseconds: interval.nanoseconds,
                     duplicates: $0.duplicates, probes: $0.probes)
        }
    }

    /// What was recorded so far, while probing goes on: the probes of the last round trip
    /// or so are still unanswered in it.
    public func snapshot() -> ProbeLog {
        record.withLock {
            ProbeLog(target: target.description, intervalNanoseconds: interval.nanoseconds,
                     duplicates: $0.duplicates, probes: $0.probes)
        }
    }

    private func sendProbes() {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = target.rawValue.bigEndian
        let start = LabClock.monotonicNanoseconds()
        var number: UInt32 = 1
        while !stopSending.load(ordering: .acquiring) {
            LabClock.sleep(untilMonotonic: start + Int64(number - 1) * interval.nanoseconds)
            let request = ICMPEcho.request(identifier: identifier, number: number)
            // Recorded before it leaves, so that no reply can arrive first.
            record.withLock { $0.probes.append(ProbeLog.Probe(number: number, sent: LabClock.wallNanoseconds())) }
            // A send the kernel refuses (no route, say) is a probe lost like any other.
            _ = request.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(socket, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            number &+= 1
        }
    }

    private func receiveReplies() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        let control = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer {
            buffer.deallocate()
            control.deallocate()
        }
        while !stopReceiving.load(ordering: .acquiring) {
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            let (count, controlLength) = withUnsafeMutablePointer(to: &vector) { vector in
                var message = msghdr(msg_name: nil, msg_namelen: 0, msg_iov: vector, msg_iovlen: 1,
                                     msg_control: control.baseAddress, msg_controllen: control.count, msg_flags: 0)
                let count = recvmsg(socket, &message, 0)
                return (count, Int(message.msg_controllen))
            }
            guard count > 0,
                  let (number, ttl) = ICMPEcho.reply(in: UnsafeRawBufferPointer(rebasing: buffer[0..<count]),
                                                     from: target, identifier: identifier) else { continue }
            let arrival = Self.kernelTimestamp(in: UnsafeRawBufferPointer(rebasing: control[0..<controlLength])) ?? LabClock.wallNanoseconds()
            record.withLock { record in
                // Probes are numbered from 1 and appended in order.
                let index = Int(number) - 1
                guard index >= 0, index < record.probes.count else { return }
                if record.probes[index].reply == nil {
                    record.probes[index].reply = arrival
                    record.probes[index].ttl = ttl
                } else {
                    record.duplicates += 1
                }
            }
        }
    }

    /// The SCM_TIMESTAMPNS stamp (wall-clock nanoseconds) in a received message's
    /// control data: the only control message this socket asks for.
    private static func kernelTimestamp(in control: UnsafeRawBufferPointer) -> Int64? {
        let header = MemoryLayout<cmsghdr>.size
        guard control.count >= header + MemoryLayout<timespec>.size else { return nil }
        let message = control.loadUnaligned(as: cmsghdr.self)
        guard message.cmsg_level == SOL_SOCKET, message.cmsg_type == SO_TIMESTAMPNS,
              message.cmsg_len >= header + MemoryLayout<timespec>.size else { return nil }
        let stamp = control.loadUnaligned(fromByteOffset: header, as: timespec.self)
        return Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_nsec)
    }
}

/// The prober could not open its socket.
public struct ProberError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
