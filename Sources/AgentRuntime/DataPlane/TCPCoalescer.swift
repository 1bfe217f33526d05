#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The decapsulation side of segmentation offload: consecutive TCP segments of one
/// flow, admitted from the tunnel, are joined into one super-packet written into the
/// TUN with a ``VirtioNetHeader`` asking the kernel to segment it (or hand it whole to
/// a local receiver) and to complete the checksum — the kernel's own GRO, done here.
///
/// Nothing is copied but the first segment's headers: the write gathers them and the
/// payloads where the receive put them (`writev`), so every pending flow must be
/// written (``flush(to:counters:)``) before that receive buffer is reused.
///
/// Segments join only when the kernel's GRO would join them: same addresses and
/// ports, next sequence number, same acknowledgement, window, flags (but PSH) and
/// options, no IP options or fragments, same TOS, TTL and DF, every segment but the
/// last of the first one's size, at most 64 KiB in all. Anything else is written as
/// it came, after the pending segments of its connection.
///
/// A value owned by one thread's loop (so its state is checked for exclusive access at
/// compile time, not on every access); the owner calls ``deallocate()`` when done.
struct TCPCoalescer {
    static let maximumFlows = 8
    static let maximumLength = 65_535
    static let maximumSegments = 64
    /// Virtio header plus the largest IPv4 and TCP headers.
    private static let headerRoom = VirtioNetHeader.size + 60 + 60

    private struct Flow {
        var slot: Int
        var ipHeaderLength: Int
        var headers: Int
        var mss: Int
        var nextSequence: UInt32
        var segments: Int
        var innerLength: Int
        var closed: Bool  // a short or PSH segment ends the super-packet
    }

    private var flows: [Flow] = []
    private var freeSlots: [Int]
    /// Per slot: the virtio header and the first segment's IPv4 and TCP headers.
    private let headerStorage: UnsafeMutableRawPointer
    /// Per slot: the write's vectors, headers first, then one per payload.
    private let vectorStorage: UnsafeMutablePointer<iovec>

    init() {
        headerStorage = .allocate(byteCount: Self.maximumFlows * Self.headerRoom, alignment: 8)
        headerStorage.initializeMemory(as: UInt8.self, repeating: 0, count: Self.maximumFlows * Self.headerRoom)
        vectorStorage = .allocate(capacity: Self.maximumFlows * (Self.maximumSegments + 1))
        vectorStorage.initialize(repeating: iovec(), count: Self.maximumFlows * (Self.maximumSegments + 1))
        freeSlots = Array((0..<Self.maximumFlows).reversed())
        flows.reserveCapacity(Self.maximumFlows)
    }

    /// Releases the header and vector storage; the coalescer is unusable afterwards.
    func deallocate() {
        headerStorage.deallocate()
        vectorStorage.deallocate()
    }

    private func header(_ flow: Flow) -> UnsafeMutableRawPointer {
        headerStorage + flow.slot * Self.headerRoom
    }

    private func vectors(_ flow: Flow) -> UnsafeMutablePointer<iovec> {
        vectorStorage + flow.slot * (Self.maximumSegments + 1)
    }

    /// Takes one admitted packet; its memory must stay valid until the next flush.
    mutating func add(_ packet: UnsafeRawBufferPointer, to writer: some PacketWriter, counters: inout TunnelCounters) {
        guard let candidate = Candidate(packet) else {
            Self.writePlain(packet, to: writer, counters: &counters)
            return
        }
        // The pending segments of the same connection go first, so nothing overtakes them.
        if let index = flows.firstIndex(where: { sameConnection(header($0), packet) }) {
            let flow = flows[index]
            if !flow.closed, candidate.coalescible, candidate.payloadLength > 0, candidate.payloadLength <= flow.mss,
               candidate.sequence == flow.nextSequence, flow.segments < Self.maximumSegments,
               flow.innerLength + candidate.payloadLength <= Self.maximumLength,
               candidate.headers == flow.headers, matches(flow, packet) {
                append(packet, candidate, to: index)
                return
            }
            flush(index, to: writer, counters: &counters)
        }
        guard candidate.payloadLength > 0, candidate.coalescible else {
            Self.writePlain(packet, to: writer, counters: &counters)
            return
        }
        if flows.count == Self.maximumFlows { flush(0, to: writer, counters: &counters) }
        start(packet, candidate)
    }

    /// Writes every pending flow.
    mutating func flush(to writer: some PacketWriter, counters: inout TunnelCounters) {
        while !flows.isEmpty { flush(flows.count - 1, to: writer, counters: &counters) }
    }

    private mutating func start(_ packet: UnsafeRawBufferPointer, _ candidate: Candidate) {
        let flow = Flow(slot: freeSlots.removeLast(), ipHeaderLength: candidate.ipHeaderLength, headers: candidate.headers,
                        mss: candidate.payloadLength,
                        nextSequence: candidate.sequence &+ UInt32(candidate.payloadLength), segments: 1,
                        innerLength: packet.count, closed: candidate.push)
        let header = self.header(flow)
        header.initializeMemory(as: UInt8.self, repeating: 0, count: VirtioNetHeader.size)
        (header + VirtioNetHeader.size).copyMemory(from: packet.baseAddress!, byteCount: candidate.headers)
        let vectors = self.vectors(flow)
        vectors[0] = iovec(iov_base: header, iov_len: VirtioNetHeader.size + candidate.headers)
        vectors[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: packet.baseAddress! + candidate.headers),
                           iov_len: candidate.payloadLength)
        flows.append(flow)
    }

    private mutating func append(_ packet: UnsafeRawBufferPointer, _ candidate: Candidate, to index: Int) {
        let flow = flows[index]
        vectors(flow)[flow.segments + 1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: packet.baseAddress! + candidate.headers),
                                                 iov_len: candidate.payloadLength)
        flows[index].segments += 1
        flows[index].innerLength += candidate.payloadLength
        flows[index].nextSequence &+= UInt32(candidate.payloadLength)
        if candidate.payloadLength < flow.mss || candidate.push {
            flows[index].closed = true
        }
        if candidate.push {
            let flags = header(flow) + VirtioNetHeader.size + flow.ipHeaderLength + TCPField.flags
            flags.storeBytes(of: flags.load(as: UInt8.self) | TCPField.psh, as: UInt8.self)
        }
    }

    private mutating func flush(_ index: Int, to writer: some PacketWriter, counters: inout TunnelCounters) {
        let flow = flows.remove(at: index)
        let header = self.header(flow)
        if flow.segments > 1 {
            let ip = header + VirtioNetHeader.size
            let tcp = ip + flow.ipHeaderLength
            ip.storeBytes(of: UInt16(flow.innerLength).bigEndian, toByteOffset: 2, as: UInt16.self)
            OnesComplement.setIPv4HeaderChecksum(ip, headerLength: flow.ipHeaderLength)
            // CHECKSUM_PARTIAL convention: the field holds the folded pseudo-header sum.
            let seed = OnesComplement.fold(OnesComplement.pseudoHeader(ip, protocolNumber: 6,
                                                                      length: flow.innerLength - flow.ipHeaderLength))
            tcp.storeBytes(of: seed, toByteOffset: TCPField.checksum, as: UInt16.self)
            var virtio = VirtioNetHeader()
            virtio.flags = VirtioNetHeader.needsChecksum
            virtio.gsoType = VirtioNetHeader.gsoTCPv4
            virtio.headerLength = UInt16(flow.headers)
            virtio.gsoSize = UInt16(flow.mss)
            virtio.checksumStart = UInt16(flow.ipHeaderLength)
            virtio.checksumOffset = UInt16(TCPField.checksum)
            virtio.store(to: header)
        }
        if writer.write(vectors: vectors(flow), count: flow.segments + 1, length: VirtioNetHeader.size + flow.innerLength) {
            counters.packetsIn &+= UInt64(flow.segments)
            counters.bytesIn &+= UInt64(flow.innerLength + (flow.segments - 1) * flow.headers)
        } else {
            counters.droppedTransmitFailed &+= UInt64(flow.segments)
        }
        freeSlots.append(flow.slot)
    }

    /// Writes one packet as it came, behind a zero virtio header.
    static func writePlain(_ packet: UnsafeRawBufferPointer, to writer: some PacketWriter, counters: inout TunnelCounters) {
        let written = VirtioNetHeader.plain.withUnsafeBytes { header in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
                vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: header.baseAddress!), iov_len: header.count)
                vectors[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: packet.baseAddress!), iov_len: packet.count)
                return writer.write(vectors: vectors.baseAddress!, count: 2, length: header.count + packet.count)
            }
        }
        if written {
            counters.packetsIn &+= 1
            counters.bytesIn &+= UInt64(packet.count)
        } else {
            counters.droppedTransmitFailed &+= 1
        }
    }

    /// Same IPv4 addresses and TCP ports (only TCP packets without IP options reach here).
    private func sameConnection(_ pending: UnsafeMutableRawPointer, _ packet: UnsafeRawBufferPointer) -> Bool {
        let first = pending + VirtioNetHeader.size
        let next = packet.baseAddress!
        return first.loadUnaligned(fromByteOffset: 12, as: UInt64.self) == next.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
            && first.loadUnaligned(fromByteOffset: 20, as: UInt32.self) == next.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
    }

    /// Whether `packet` may join `flow`: every header field but those that change
    /// between segments (lengths, identification, checksums, sequence number, PSH).
    private func matches(_ flow: Flow, _ packet: UnsafeRawBufferPointer) -> Bool {
        let first = header(flow) + VirtioNetHeader.size
        let next = packet.baseAddress!
        // IPv4: TOS (1), flags and fragment offset (6-7), TTL and protocol (8-9).
        guard first.load(fromByteOffset: 1, as: UInt8.self) == next.load(fromByteOffset: 1, as: UInt8.self),
              first.loadUnaligned(fromByteOffset: 6, as: UInt32.self) == next.loadUnaligned(fromByteOffset: 6, as: UInt32.self)
        else { return false }
        let a = first + flow.ipHeaderLength
        let b = next + flow.ipHeaderLength
        // TCP: acknowledgement (8-11), data offset (12), flags but PSH (13), window (14-15),
        // urgent pointer and options (18...).
        return a.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == b.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            && a.load(fromByteOffset: 12, as: UInt8.self) == b.load(fromByteOffset: 12, as: UInt8.self)
            && a.load(fromByteOffset: 13, as: UInt8.self) & ~TCPField.psh == b.load(fromByteOffset: 13, as: UInt8.self) & ~TCPField.psh
            && a.loadUnaligned(fromByteOffset: 14, as: UInt16.self) == b.loadUnaligned(fromByteOffset: 14, as: UInt16.self)
            && memcmp(a + 18, b + 18, flow.headers - flow.ipHeaderLength - 18) == 0
    }

    /// What the coalescer needs of a TCP segment; nil for anything else.
    private struct Candidate {
        var ipHeaderLength: Int
        var headers: Int
        var payloadLength: Int
        var sequence: UInt32
        var push: Bool
        /// Flags allow joining (ACK and PSH only).
        var coalescible: Bool

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= 40 else { return nil }
            let base = bytes.baseAddress!
            // IPv4 without options, TCP, not a fragment (MF clear, offset 0).
            guard base.load(as: UInt8.self) == 0x45, base.load(fromByteOffset: 9, as: UInt8.self) == 6,
                  UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) & 0x3fff == 0
            else { return nil }
            ipHeaderLength = 20
            let tcpHeaderLength = Int(base.load(fromByteOffset: 20 + 12, as: UInt8.self) >> 4) * 4
            headers = ipHeaderLength + tcpHeaderLength
            guard tcpHeaderLength >= 20, headers <= bytes.count else { return nil }
            payloadLength = bytes.count - headers
            sequence = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 20 + TCPField.sequence, as: UInt32.self))
            let flags = base.load(fromByteOffset: 20 + TCPField.flags, as: UInt8.self)
            push = flags & TCPField.psh != 0
            coalescible = flags & ~(TCPField.psh | 0x10) == 0
        }
    }
}
