#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GLMWire
import NIOCore

/// The `struct virtio_net_hdr` that precedes every packet on a TUN opened with
/// `IFF_VNET_HDR`: 10 octets, fields in the host's byte order (little-endian here).
struct VirtioNetHeader {
    static let size = 10
    static let needsChecksum: UInt8 = 1  // VIRTIO_NET_HDR_F_NEEDS_CSUM
    static let gsoNone: UInt8 = 0
    static let gsoTCPv4: UInt8 = 1
    static let gsoECN: UInt8 = 0x80

    var flags: UInt8 = 0
    var gsoType: UInt8 = gsoNone
    var headerLength: UInt16 = 0
    var gsoSize: UInt16 = 0
    var checksumStart: UInt16 = 0
    var checksumOffset: UInt16 = 0

    init() {}

    init(_ bytes: UnsafeRawPointer) {
        flags = bytes.load(as: UInt8.self)
        gsoType = bytes.load(fromByteOffset: 1, as: UInt8.self)
        headerLength = bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
        gsoSize = bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        checksumStart = bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
        checksumOffset = bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
    }

    func store(to bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: flags, as: UInt8.self)
        bytes.storeBytes(of: gsoType, toByteOffset: 1, as: UInt8.self)
        bytes.storeBytes(of: headerLength, toByteOffset: 2, as: UInt16.self)
        bytes.storeBytes(of: gsoSize, toByteOffset: 4, as: UInt16.self)
        bytes.storeBytes(of: checksumStart, toByteOffset: 6, as: UInt16.self)
        bytes.storeBytes(of: checksumOffset, toByteOffset: 8, as: UInt16.self)
    }

    /// Ten zero octets: a complete packet whose checksums the kernel checks itself.
    static let plain: [UInt8] = [UInt8](repeating: 0, count: size)
}

/// The Internet checksum (RFC 1071) over memory, summed with native loads.
///
/// The one's-complement sum does not depend on byte order: summing little-endian
/// words and storing the folded result little-endian writes the same two octets as
/// summing and storing big-endian, so no byte swapping is needed.
enum OnesComplement {
    /// The sum of `count` octets as 32-bit words, not yet folded: a 64-bit accumulator
    /// cannot overflow below 2^32 words, so the loop carries nothing and vectorises.
    static func sum(_ bytes: UnsafeRawPointer, _ count: Int, _ initial: UInt64 = 0) -> UInt64 {
        let words = count / 4
        var first = initial
        var second: UInt64 = 0
        var index = 0
        while index + 2 <= words {
            first &+= UInt64(bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            second &+= UInt64(bytes.loadUnaligned(fromByteOffset: index * 4 + 4, as: UInt32.self))
            index += 2
        }
        if index < words {
            first &+= UInt64(bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
        }
        var offset = words * 4
        if offset + 2 <= count {
            second &+= UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            offset += 2
        }
        if offset < count {
            second &+= UInt64(bytes.load(fromByteOffset: offset, as: UInt8.self))
        }
        return first &+ second
    }

    static func fold(_ sum: UInt64) -> UInt16 {
        var value = (sum & 0xffff_ffff) + (sum >> 32)
        value = (value & 0xffff_ffff) + (value >> 32)
        value = (value & 0xffff) + (value >> 16)
        value = (value & 0xffff) + (value >> 16)
        value = (value & 0xffff) + (value >> 16)
        return UInt16(value)
    }

    /// The IPv4 pseudo-header of a transport segment of `length` octets, as a partial sum.
    static func pseudoHeader(_ ipHeader: UnsafeRawPointer, protocolNumber: UInt8, length: Int) -> UInt64 {
        UInt64(ipHeader.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            + UInt64(ipHeader.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            + UInt64(UInt16(protocolNumber) << 8) + UInt64(UInt16(truncatingIfNeeded: length).byteSwapped)
    }

    /// Recomputes an IPv4 header's checksum in place.
    static func setIPv4HeaderChecksum(_ header: UnsafeMutableRawPointer, headerLength: Int) {
        header.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
        header.storeBytes(of: ~fold(sum(header, headerLength)), toByteOffset: 10, as: UInt16.self)
    }
}

private enum TCPField {
    static let sequence = 4
    static let acknowledgement = 8
    static let flags = 13
    static let checksum = 16
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08
    static let urg: UInt8 = 0x20
    static let cwr: UInt8 = 0x80
}

/// The encapsulation side of segmentation offload: takes what a TUN opened with
/// ``TunDevice/segmentationOffload`` hands its reader — a ``VirtioNetHeader`` and a
/// packet that may be a TCP "super-packet" of up to 64 KiB — and frames it as
/// MTU-sized tunnel datagrams. A super-packet becomes its segments (sequence numbers,
/// IP identification, lengths and checksums as the kernel's own TSO would make them),
/// framed back to back and sent as runs of equal-sized datagrams with one
/// `UDP_SEGMENT` message each, so the kernel cuts the datagrams, not this thread.
struct TCPSegmenter {
    /// Most datagrams and octets in one `UDP_SEGMENT` send (the kernel allows 64 and one
    /// IPv4 datagram's worth).
    static let maximumRunSegments = 64
    static let maximumRunOctets = 65_000

    /// Cleared when the kernel refuses a segmented send; each datagram then goes alone.
    var sendsRuns = true
    private var scratch = ByteBufferAllocator().buffer(capacity: 2048)

    mutating func encapsulate(_ read: ByteBuffer, table: TunnelRoutingTable, into frames: inout ByteBuffer,
                              outgoing: inout OutgoingFrames, counters: inout TunnelCounters) {
        guard read.readableBytes > VirtioNetHeader.size else {
            counters.droppedMalformed &+= 1
            return
        }
        let header = read.withUnsafeReadableBytes { VirtioNetHeader($0.baseAddress!) }
        let packet = read.getSlice(at: read.readerIndex + VirtioNetHeader.size,
                                   length: read.readableBytes - VirtioNetHeader.size)!
        guard let ip = IPv4Header(packet), ip.totalLength == packet.readableBytes else {
            counters.droppedMalformed &+= 1
            return
        }
        guard let route = table.outboundRoute(source: ip.source, destination: ip.destination) else {
            counters.droppedNoRoute &+= 1
            return
        }
        let gsoType = header.gsoType & ~VirtioNetHeader.gsoECN
        if gsoType == VirtioNetHeader.gsoNone {
            let start = frames.writerIndex
            do {
                try TunnelFrame.encode(packet, format: route.framing, into: &frames)
            } catch {
                frames.moveWriterIndex(to: start)
                counters.droppedMalformed &+= 1
                return
            }
            if header.flags & VirtioNetHeader.needsChecksum != 0 {
                // The kernel left the transport checksum for us: the field holds the
                // pseudo-header sum; sum from checksumStart to the end and store.
                let innerStart = start + TunnelFrame.overhead(route.framing)
                let checksumStart = Int(header.checksumStart)
                let field = checksumStart + Int(header.checksumOffset)
                guard field + 2 <= packet.readableBytes else {
                    frames.moveWriterIndex(to: start)
                    counters.droppedMalformed &+= 1
                    return
                }
                let readerIndex = frames.readerIndex
                frames.withUnsafeMutableReadableBytes { raw in
                    let inner = raw.baseAddress! + (innerStart - readerIndex)
                    let sum = OnesComplement.sum(inner + checksumStart, packet.readableBytes - checksumStart)
                    inner.storeBytes(of: ~OnesComplement.fold(sum), toByteOffset: field, as: UInt16.self)
                }
            }
            outgoing.append(offset: start, length: frames.writerIndex - start, peer: route.peer, segmentSize: nil,
                            packets: 1, innerBytes: packet.readableBytes)
            return
        }
        guard gsoType == VirtioNetHeader.gsoTCPv4, ip.protocolNumber == 6, header.gsoSize > 0 else {
            counters.droppedMalformed &+= 1
            return
        }
        segment(packet, ip: ip, mss: Int(header.gsoSize), route: route, into: &frames, outgoing: &outgoing,
                counters: &counters)
    }

    /// Cuts a TCP super-packet into segments of `mss` payload octets, each framed for
    /// `route` in `frames`, and queues them as runs.
    private mutating func segment(_ packet: ByteBuffer, ip: IPv4Header, mss: Int, route: TunnelRoute,
                                  into frames: inout ByteBuffer, outgoing: inout OutgoingFrames,
                                  counters: inout TunnelCounters) {
        guard let dataOffset = packet.getInteger(at: packet.readerIndex + ip.headerLength + 12, as: UInt8.self) else {
            counters.droppedMalformed &+= 1
            return
        }
        let tcpHeaderLength = Int(dataOffset >> 4) * 4
        let headers = ip.headerLength + tcpHeaderLength
        guard tcpHeaderLength >= 20, headers <= packet.readableBytes else {
            counters.droppedMalformed &+= 1
            return
        }
        let payloadLength = packet.readableBytes - headers
        let segments = max(1, (payloadLength + mss - 1) / mss)
        let overhead = TunnelFrame.overhead(route.framing)
        let fullFrame = overhead + headers + min(mss, payloadLength)
        let perRun = sendsRuns ? max(1, min(Self.maximumRunSegments, Self.maximumRunOctets / fullFrame)) : 1

        var runStart = frames.writerIndex
        var runSegments = 0
        var runBytes = 0
        packet.withUnsafeReadableBytes { source in
            let source = source.baseAddress!
            let firstSequence = UInt32(bigEndian: source.loadUnaligned(fromByteOffset: ip.headerLength + TCPField.sequence, as: UInt32.self))
            let firstIdentification = UInt16(bigEndian: source.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
            let flags = source.load(fromByteOffset: ip.headerLength + TCPField.flags, as: UInt8.self)
            for index in 0..<segments {
                let offset = index * mss
                let length = min(mss, payloadLength - offset)
                let last = index == segments - 1
                scratch.clear()
                scratch.writeBytes(UnsafeRawBufferPointer(start: source, count: headers))
                scratch.writeBytes(UnsafeRawBufferPointer(start: source + headers + offset, count: length))
                scratch.withUnsafeMutableReadableBytes { raw in
                    let segment = raw.baseAddress!
                    let tcp = segment + ip.headerLength
                    segment.storeBytes(of: UInt16(headers + length).bigEndian, toByteOffset: 2, as: UInt16.self)
                    segment.storeBytes(of: (firstIdentification &+ UInt16(truncatingIfNeeded: index)).bigEndian,
                                       toByteOffset: 4, as: UInt16.self)
                    OnesComplement.setIPv4HeaderChecksum(segment, headerLength: ip.headerLength)
                    tcp.storeBytes(of: (firstSequence &+ UInt32(truncatingIfNeeded: offset)).bigEndian,
                                   toByteOffset: TCPField.sequence, as: UInt32.self)
                    var segmentFlags = flags
                    if !last { segmentFlags &= ~(TCPField.fin | TCPField.psh) }
                    if index > 0 { segmentFlags &= ~TCPField.cwr }
                    tcp.storeBytes(of: segmentFlags, toByteOffset: TCPField.flags, as: UInt8.self)
                    tcp.storeBytes(of: 0, toByteOffset: TCPField.checksum, as: UInt16.self)
                    let tcpLength = tcpHeaderLength + length
                    let sum = OnesComplement.sum(tcp, tcpLength,
                                                 OnesComplement.pseudoHeader(segment, protocolNumber: 6, length: tcpLength))
                    tcp.storeBytes(of: ~OnesComplement.fold(sum), toByteOffset: TCPField.checksum, as: UInt16.self)
                }
                let frameStart = frames.writerIndex
                do {
                    try TunnelFrame.encode(scratch, format: route.framing, into: &frames)
                } catch {
                    frames.moveWriterIndex(to: frameStart)
                    counters.droppedMalformed &+= 1
                    continue
                }
                runSegments += 1
                runBytes += headers + length
                if runSegments == perRun || last {
                    outgoing.append(offset: runStart, length: frames.writerIndex - runStart, peer: route.peer,
                                    segmentSize: runSegments > 1 ? UInt16(fullFrame) : nil,
                                    packets: runSegments, innerBytes: runBytes)
                    runStart = frames.writerIndex
                    runSegments = 0
                    runBytes = 0
                }
            }
        }
    }
}

/// The decapsulation side of segmentation offload: consecutive TCP segments of one
/// flow, admitted from the tunnel, are joined into one super-packet written into the
/// TUN with a ``VirtioNetHeader`` asking the kernel to segment (or hand it whole to a
/// local receiver) and to complete the checksum — the kernel's own GRO, done here.
///
/// Segments join only when the kernel's GRO would join them: same addresses and
/// ports, next sequence number, same acknowledgement, window, flags (but PSH) and
/// options, no IP options or fragments, same TOS, TTL and DF, every segment but the
/// last of the first one's size. Anything else is written as it came. Pending flows
/// are written at the end of every receive batch, so nothing waits for more traffic.
struct TCPCoalescer {
    static let maximumFlows = 8
    static let maximumLength = 65_535

    private struct Flow {
        var buffer: ByteBuffer
        var ipHeaderLength = 0
        var headers = 0
        var mss = 0
        var nextSequence: UInt32 = 0
        var segments = 0
        var closed = false  // a short or PSH segment ends the super-packet
        var packets = 0
    }

    private var flows: [Flow] = []
    private var spare: [ByteBuffer] = []

    init() {
        for _ in 0..<Self.maximumFlows {
            spare.append(ByteBufferAllocator().buffer(capacity: VirtioNetHeader.size + Self.maximumLength))
        }
    }

    mutating func add(_ packet: ByteBuffer, to device: some PacketWriter, counters: inout TunnelCounters) {
        let verdict: Candidate? = packet.withUnsafeReadableBytes { Candidate($0) }
        guard let candidate = verdict else {
            Self.writePlain(packet, device: device, counters: &counters)
            return
        }
        // The pending segments of the same connection go first, so nothing overtakes them.
        if let index = flows.firstIndex(where: { Self.sameConnection($0, packet) }) {
            if !flows[index].closed, candidate.coalescible, candidate.payloadLength > 0,
               candidate.payloadLength <= flows[index].mss, candidate.sequence == flows[index].nextSequence,
               flows[index].buffer.readableBytes + candidate.payloadLength <= VirtioNetHeader.size + Self.maximumLength,
               Self.matches(flows[index], candidate, packet) {
                append(packet, candidate, to: index)
                return
            }
            flush(index, device: device, counters: &counters)
        }
        guard candidate.payloadLength > 0, candidate.coalescible else {
            Self.writePlain(packet, device: device, counters: &counters)
            return
        }
        if flows.count == Self.maximumFlows { flush(0, device: device, counters: &counters) }
        start(packet, candidate)
    }

    /// Writes every pending flow.
    mutating func flush(to device: some PacketWriter, counters: inout TunnelCounters) {
        while !flows.isEmpty { flush(flows.count - 1, device: device, counters: &counters) }
    }

    private mutating func start(_ packet: ByteBuffer, _ candidate: Candidate) {
        var buffer = spare.popLast() ?? ByteBufferAllocator().buffer(capacity: VirtioNetHeader.size + Self.maximumLength)
        buffer.clear()
        buffer.writeBytes(VirtioNetHeader.plain)
        var copy = packet
        buffer.writeBuffer(&copy)
        flows.append(Flow(buffer: buffer, ipHeaderLength: candidate.ipHeaderLength, headers: candidate.headers,
                          mss: candidate.payloadLength,
                          nextSequence: candidate.sequence &+ UInt32(candidate.payloadLength), segments: 1,
                          closed: candidate.push, packets: 1))
    }

    private mutating func append(_ packet: ByteBuffer, _ candidate: Candidate, to index: Int) {
        var payload = packet.getSlice(at: packet.readerIndex + candidate.headers, length: candidate.payloadLength)!
        flows[index].buffer.writeBuffer(&payload)
        flows[index].nextSequence &+= UInt32(candidate.payloadLength)
        flows[index].segments += 1
        flows[index].packets += 1
        if candidate.payloadLength < flows[index].mss || candidate.push {
            flows[index].closed = true
            if candidate.push {
                let flagsOffset = VirtioNetHeader.size + flows[index].ipHeaderLength + TCPField.flags
                let flags = flows[index].buffer.getInteger(at: flagsOffset, as: UInt8.self)!
                flows[index].buffer.setInteger(flags | TCPField.psh, at: flagsOffset)
            }
        }
    }

    private mutating func flush(_ index: Int, device: some PacketWriter, counters: inout TunnelCounters) {
        var flow = flows.remove(at: index)
        let innerLength = flow.buffer.readableBytes - VirtioNetHeader.size
        if flow.segments > 1 {
            flow.buffer.withUnsafeMutableReadableBytes { raw in
                let ip = raw.baseAddress! + VirtioNetHeader.size
                let tcp = ip + flow.ipHeaderLength
                ip.storeBytes(of: UInt16(innerLength).bigEndian, toByteOffset: 2, as: UInt16.self)
                OnesComplement.setIPv4HeaderChecksum(ip, headerLength: flow.ipHeaderLength)
                // CHECKSUM_PARTIAL convention: the field holds the folded pseudo-header sum.
                let tcpLength = innerLength - flow.ipHeaderLength
                let seed = OnesComplement.fold(OnesComplement.pseudoHeader(ip, protocolNumber: 6, length: tcpLength))
                tcp.storeBytes(of: seed, toByteOffset: TCPField.checksum, as: UInt16.self)
                var header = VirtioNetHeader()
                header.flags = VirtioNetHeader.needsChecksum
                header.gsoType = VirtioNetHeader.gsoTCPv4
                header.headerLength = UInt16(flow.headers)
                header.gsoSize = UInt16(flow.mss)
                header.checksumStart = UInt16(flow.ipHeaderLength)
                header.checksumOffset = UInt16(TCPField.checksum)
                header.store(to: raw.baseAddress!)
            }
        }
        if flow.buffer.withUnsafeReadableBytes({ device.write(header: nil, body: $0) }) {
            counters.packetsIn &+= UInt64(flow.packets)
            counters.bytesIn &+= UInt64(innerLength + (flow.packets - 1) * flow.headers)
        } else {
            counters.droppedTransmitFailed &+= UInt64(flow.packets)
        }
        spare.append(flow.buffer)
    }

    /// Writes one packet as it is, behind a zero virtio header.
    static func writePlain(_ packet: ByteBuffer, device: some PacketWriter, counters: inout TunnelCounters) {
        let written = VirtioNetHeader.plain.withUnsafeBytes { header in
            packet.withUnsafeReadableBytes { body in device.write(header: header, body: body) }
        }
        if written {
            counters.packetsIn &+= 1
            counters.bytesIn &+= UInt64(packet.readableBytes)
        } else {
            counters.droppedTransmitFailed &+= 1
        }
    }

    /// Same IPv4 addresses and TCP ports (only TCP packets without IP options reach here).
    private static func sameConnection(_ flow: Flow, _ packet: ByteBuffer) -> Bool {
        flow.buffer.withUnsafeReadableBytes { pending in
            packet.withUnsafeReadableBytes { incoming in
                let first = pending.baseAddress! + VirtioNetHeader.size
                let next = incoming.baseAddress!
                return first.loadUnaligned(fromByteOffset: 12, as: UInt64.self) == next.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
                    && first.loadUnaligned(fromByteOffset: 20, as: UInt32.self) == next.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
            }
        }
    }

    private static func matches(_ flow: Flow, _ candidate: Candidate, _ packet: ByteBuffer) -> Bool {
        guard flow.headers == candidate.headers, flow.ipHeaderLength == candidate.ipHeaderLength else { return false }
        return flow.buffer.withUnsafeReadableBytes { pending in
            packet.withUnsafeReadableBytes { incoming in
                let first = pending.baseAddress! + VirtioNetHeader.size
                let next = incoming.baseAddress!
                let ipLength = candidate.ipHeaderLength
                // IP: TOS (1), DF and fragment fields (6-7), TTL and protocol (8-9), addresses (12-19).
                guard first.load(fromByteOffset: 1, as: UInt8.self) == next.load(fromByteOffset: 1, as: UInt8.self),
                      first.loadUnaligned(fromByteOffset: 6, as: UInt32.self) == next.loadUnaligned(fromByteOffset: 6, as: UInt32.self),
                      first.loadUnaligned(fromByteOffset: 12, as: UInt64.self) == next.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
                else { return false }
                let a = first + ipLength
                let b = next + ipLength
                // TCP: ports, acknowledgement, data offset, window; flags but PSH; urgent pointer and options.
                guard a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self),
                      a.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == b.loadUnaligned(fromByteOffset: 8, as: UInt32.self),
                      a.load(fromByteOffset: 12, as: UInt8.self) == b.load(fromByteOffset: 12, as: UInt8.self),
                      a.loadUnaligned(fromByteOffset: 14, as: UInt16.self) == b.loadUnaligned(fromByteOffset: 14, as: UInt16.self),
                      a.load(fromByteOffset: 13, as: UInt8.self) & ~TCPField.psh == b.load(fromByteOffset: 13, as: UInt8.self) & ~TCPField.psh,
                      memcmp(a + 18, b + 18, candidate.headers - ipLength - 18) == 0
                else { return false }
                return true
            }
        }
    }

    /// What the coalescer needs of a TCP segment; nil for anything else.
    private struct Candidate {
        var ipHeaderLength: Int
        var headers: Int
        var payloadLength: Int
        var sequence: UInt32
        var push: Bool
        /// Flags allow joining (ACK and PSH only), no IP options, not a fragment.
        var coalescible: Bool

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= 40 else { return nil }
            let base = bytes.baseAddress!
            let versionIHL = base.load(as: UInt8.self)
            guard versionIHL == 0x45, base.load(fromByteOffset: 9, as: UInt8.self) == 6 else { return nil }
            let fragment = UInt16(bigEndian: base.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
            guard fragment & 0x3fff == 0 else { return nil }  // MF or an offset: a fragment
            ipHeaderLength = 20
            let tcpHeaderLength = Int(base.load(fromByteOffset: 20 + 12, as: UInt8.self) >> 4) * 4
            headers = ipHeaderLength + tcpHeaderLength
            guard tcpHeaderLength >= 20, headers <= bytes.count else { return nil }
            payloadLength = bytes.count - headers
            sequence = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 20 + TCPField.sequence, as: UInt32.self))
            let flags = base.load(fromByteOffset: 20 + TCPField.flags, as: UInt8.self)
            push = flags & TCPField.psh != 0
            coalescible = flags & (TCPField.fin | TCPField.syn | TCPField.rst | TCPField.urg | TCPField.cwr | 0x40) == 0
        }
    }
}

/// Where decapsulated packets go: the TUN, or a test's recorder.
protocol PacketWriter {
    /// Writes one packet made of `header` (if any) then `body`; true when all of it was taken.
    func write(header: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer) -> Bool
}

extension TunDevice: PacketWriter {
    func write(header: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer) -> Bool {
        guard let header else {
            return Glibc.write(fileDescriptor, body.baseAddress, body.count) == body.count
        }
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
            vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: header.baseAddress!), iov_len: header.count)
            vectors[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress!), iov_len: body.count)
            return writev(fileDescriptor, vectors.baseAddress!, 2) == header.count + body.count
        }
    }
}
