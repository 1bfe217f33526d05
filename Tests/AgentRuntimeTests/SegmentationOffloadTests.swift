@testable import AgentRuntime
import Glibc
import GLMWire
import NIOCore
import Testing

/// Segmentation offload without a device: a TCP super-packet as a TUN hands it over is
/// cut into framed segments that are each a valid TCP/IPv4 packet, and the receiving
/// side joins them back into one super-packet for the TUN.
@Suite("Segmentation offload")
struct SegmentationOffloadTests {
    static let correspondent = IPv4Address(10, 10, 0, 9)
    static let vm = IPv4Address(10, 10, 0, 50)
    static let site = IPv4Address(198, 18, 1, 2)
    static let mss = 1408
    static let payload = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

    /// IPv4 (DF, id 0x1234) + TCP with a 12-octet timestamp option, ACK|PSH, seq 1000.
    static func tcpPacket(sequence: UInt32 = 1000, payload: [UInt8], flags: UInt8 = 0x18,
                          identification: UInt16 = 0x1234, fillChecksum: Bool = true) -> [UInt8] {
        var tcp: [UInt8] = [0x9c, 0x40, 0x13, 0x89]  // ports 40000 -> 5001
        tcp += withUnsafeBytes(of: sequence.bigEndian, Array.init)
        tcp += withUnsafeBytes(of: UInt32(5000).bigEndian, Array.init)
        tcp += [0x80, flags, 0x01, 0xf4, 0, 0, 0, 0]  // data offset 8 words, window 500
        tcp += [0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2]  // NOP NOP timestamps
        tcp += payload
        var ip = try! IPv4Packet(source: correspondent, destination: vm, protocolNumber: .tcp, payload: tcp,
                                 identification: identification).serialized()
        if fillChecksum {
            let checksum = tcpChecksum(ip)
            ip[20 + 16] = UInt8(checksum >> 8)
            ip[20 + 17] = UInt8(checksum & 0xff)
        }
        return ip
    }

    /// The TCP checksum of an IPv4 packet (the field counted as zero).
    static func tcpChecksum(_ packet: [UInt8]) -> UInt16 {
        var tcp = Array(packet[20...])
        tcp[16] = 0
        tcp[17] = 0
        var checksum = InternetChecksum()
        checksum.add(IPv4Address(rawValue: UInt32(packet[12]) << 24 | UInt32(packet[13]) << 16 | UInt32(packet[14]) << 8 | UInt32(packet[15])))
        checksum.add(IPv4Address(rawValue: UInt32(packet[16]) << 24 | UInt32(packet[17]) << 16 | UInt32(packet[18]) << 8 | UInt32(packet[19])))
        checksum.add(word: 6)
        checksum.add(word: UInt16(tcp.count))
        checksum.add(tcp)
        return checksum.value
    }

    static func virtioHeader(gso: UInt8, flags: UInt8 = 1, gsoSize: Int, headerLength: Int = 52) -> [UInt8] {
        var bytes = [flags, gso]
        for value in [UInt16(headerLength), UInt16(gsoSize), 20, 16] {
            bytes += withUnsafeBytes(of: value.littleEndian, Array.init)
        }
        return bytes
    }

    /// Runs the segmenter on one TUN read; returns the datagrams as the kernel would
    /// cut them from each gathered send, with the frame descriptions.
    static func segment(_ read: [UInt8], framing: TunnelFrame.Format = .tlvGRE(key: 7),
                        sendsRuns: Bool = true) -> (datagrams: [[UInt8]], outgoing: OutgoingFrames, counters: TunnelCounters,
                                                    sends: [[UInt8]]) {
        var segmenter = TCPSegmenter()
        segmenter.sendsRuns = sendsRuns
        let table = TunnelRoutingTable([TunnelRoute(address: vm, peer: site, framing: framing)])
        let packets = ByteBuffer(bytes: read)
        var frames = ByteBuffer()
        var outgoing = OutgoingFrames(capacity: 8)
        var counters = TunnelCounters()
        packets.withUnsafeReadableBytes { memory in
            segmenter.encapsulate(packets, at: 0, in: memory, table: table, into: &frames, outgoing: &outgoing,
                                  counters: &counters)
        }
        var datagrams: [[UInt8]] = []
        var sends: [[UInt8]] = []
        for index in 0..<outgoing.count {
            let frame = outgoing[index]
            #expect(frame.peer == site)
            var bytes: [UInt8] = []
            for piece in outgoing.pieces(of: frame) {
                bytes += piece.inFrames ? frames.getBytes(at: piece.offset, length: piece.length)!
                    : Array(read[piece.offset..<(piece.offset + piece.length)])
            }
            sends.append(bytes)
            let size = frame.segmentSize.map(Int.init) ?? bytes.count
            var start = 0
            while start < bytes.count {
                datagrams.append(Array(bytes[start..<min(start + size, bytes.count)]))
                start += size
            }
        }
        return (datagrams, outgoing, counters, sends)
    }

    /// Feeds packets to a coalescer from one block of memory, as a receive would, and
    /// returns what it wrote.
    static func coalesce(_ packets: [[UInt8]]) -> (written: [[UInt8]], counters: TunnelCounters) {
        let total = packets.reduce(0) { $0 + $1.count }
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 8)
        defer { memory.deallocate() }
        var coalescer = TCPCoalescer()
        defer { coalescer.deallocate() }
        let recorder = Recorder()
        var counters = TunnelCounters()
        var offset = 0
        for packet in packets {
            let slice = UnsafeMutableRawBufferPointer(rebasing: memory[offset..<(offset + packet.count)])
            slice.copyBytes(from: packet)
            coalescer.add(UnsafeRawBufferPointer(slice), to: recorder, counters: &counters)
            offset += packet.count
        }
        coalescer.flush(to: recorder, counters: &counters)
        return (recorder.packets, counters)
    }

    @Test func checksumMatchesTheReference() {
        for length in [0, 1, 2, 3, 7, 8, 9, 20, 63, 1500, 1501] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
            let ours = bytes.withUnsafeBytes { raw -> UInt16 in
                guard let base = raw.baseAddress else { return ~OnesComplement.fold(0) }
                return ~OnesComplement.fold(OnesComplement.sum(base, raw.count))
            }
            // Summed with little-endian loads, our value is the checksum's two octets swapped.
            #expect(ours == InternetChecksum.compute(bytes).byteSwapped, "length \(length)")
        }
    }

    @Test func superPacketBecomesValidSegmentsInRuns() throws {
        let superPacket = Self.tcpPacket(payload: Self.payload, fillChecksum: false)
        let (datagrams, outgoing, counters, _) = Self.segment(Self.virtioHeader(gso: 1, gsoSize: Self.mss) + superPacket)
        #expect(counters == TunnelCounters())
        #expect(datagrams.count == 8)  // ceil(10000 / 1408)
        #expect(outgoing.count == 1, "one UDP_SEGMENT run carries all eight")
        #expect(outgoing[0].segmentSize == UInt16(12 + 52 + Self.mss))
        #expect(outgoing[0].packets == 8)
        #expect(outgoing[0].innerBytes == 10_000 + 8 * 52)

        var joined: [UInt8] = []
        for (index, datagram) in datagrams.enumerated() {
            let frame = try TunnelFrame(decoding: ByteBuffer(bytes: datagram))
            #expect(frame.greKey == 7)
            let inner = Array(frame.packet.readableBytesView)
            let ip = try IPv4Packet(parsing: inner)  // verifies the header checksum
            #expect(ip.identification == 0x1234 &+ UInt16(index))
            #expect(Self.tcpChecksum(inner) == UInt16(inner[36]) << 8 | UInt16(inner[37]), "segment \(index) checksum")
            let sequence = UInt32(inner[24]) << 24 | UInt32(inner[25]) << 16 | UInt32(inner[26]) << 8 | UInt32(inner[27])
            #expect(sequence == 1000 + UInt32(index * Self.mss))
            let push = inner[33] & 0x08 != 0
            #expect(push == (index == datagrams.count - 1), "PSH only on the last segment")
            #expect(inner.count == 52 + min(Self.mss, 10_000 - index * Self.mss))
            joined += inner[52...]
        }
        #expect(joined == Self.payload)
    }

    @Test func runsRespectTheDatagramLimitAndCanBeTurnedOff() {
        let superPacket = Self.tcpPacket(payload: [UInt8](repeating: 1, count: 65_000), fillChecksum: false)
        let read = Self.virtioHeader(gso: 1, gsoSize: Self.mss) + superPacket
        let (datagrams, outgoing, _, sends) = Self.segment(read, framing: .bare)
        #expect(datagrams.count == 47)  // ceil(65000 / 1408), 1460 octets each: 68,620 in all
        #expect(outgoing.count == 2)
        for send in sends { #expect(send.count <= TCPSegmenter.maximumRunOctets) }

        let single = Self.segment(read, framing: .bare, sendsRuns: false)
        #expect(single.outgoing.count == 47)
        #expect(single.datagrams == datagrams)
    }

    @Test func partialChecksumIsCompletedAndOtherPacketsPassThrough() throws {
        // A small segment with the checksum left to us: the field holds the pseudo-header sum.
        var packet = Self.tcpPacket(payload: Array(Self.payload[0..<100]), fillChecksum: false)
        var pseudo = InternetChecksum()
        pseudo.add(Self.correspondent)
        pseudo.add(Self.vm)
        pseudo.add(word: 6)
        pseudo.add(word: UInt16(packet.count - 20))
        let seed = ~pseudo.value
        packet[36] = UInt8(seed >> 8)
        packet[37] = UInt8(seed & 0xff)
        let (datagrams, _, _, _) = Self.segment(Self.virtioHeader(gso: 0, gsoSize: 0) + packet)
        #expect(datagrams.count == 1)
        let inner = Array(try TunnelFrame(decoding: ByteBuffer(bytes: datagrams[0])).packet.readableBytesView)
        #expect(Self.tcpChecksum(inner) == UInt16(inner[36]) << 8 | UInt16(inner[37]))

        // Not IPv4, or no route: counted, not sent.
        let (none, _, counters, _) = Self.segment(Self.virtioHeader(gso: 0, flags: 0, gsoSize: 0) + [0x60] + [UInt8](repeating: 0, count: 39))
        #expect(none.isEmpty)
        #expect(counters.droppedMalformed == 1)
    }

    final class Recorder: PacketWriter {
        var packets: [[UInt8]] = []
        func write(vectors: UnsafePointer<iovec>, count: Int, length: Int) -> Bool {
            var packet: [UInt8] = []
            for index in 0..<count {
                packet += UnsafeRawBufferPointer(start: vectors[index].iov_base, count: vectors[index].iov_len)
            }
            #expect(packet.count == length)
            packets.append(packet)
            return true
        }
    }

    @Test func segmentsAreJoinedBackForTheTUN() throws {
        let superPacket = Self.tcpPacket(payload: Self.payload, fillChecksum: false)
        let (datagrams, _, _, _) = Self.segment(Self.virtioHeader(gso: 1, gsoSize: Self.mss) + superPacket)
        let inner = try datagrams.map { Array(try TunnelFrame(decoding: ByteBuffer(bytes: $0)).packet.readableBytesView) }
        let (writes, counters) = Self.coalesce(inner)
        #expect(writes.count == 1)
        #expect(counters.packetsIn == 8)
        #expect(counters.bytesIn == UInt64(10_000 + 8 * 52))
        let written = try #require(writes.first)
        let header = Array(written[0..<10]).withUnsafeBytes { VirtioNetHeader($0.baseAddress!) }
        #expect(header.flags == VirtioNetHeader.needsChecksum)
        #expect(header.gsoType == VirtioNetHeader.gsoTCPv4)
        #expect(header.gsoSize == UInt16(Self.mss))
        #expect(header.headerLength == 52)
        #expect(header.checksumStart == 20 && header.checksumOffset == 16)
        let packet = Array(written[10...])
        let ip = try IPv4Packet(parsing: packet)
        #expect(ip.payload.count == 52 - 20 + 10_000)
        #expect(Array(packet[52...]) == Self.payload)
        #expect(packet[33] & 0x08 != 0, "the last segment's PSH is kept")
        // Completing the partial checksum as the kernel will gives a valid one.
        var completed = packet
        let tail = Array(packet[20...])
        var sum = InternetChecksum()
        sum.add(tail)
        let value = sum.value
        completed[36] = UInt8(value >> 8)
        completed[37] = UInt8(value & 0xff)
        #expect(Self.tcpChecksum(completed) == value)
    }

    @Test func gapsOtherFlowsAndOtherProtocolsAreNotJoined() throws {
        let first = Self.tcpPacket(sequence: 1000, payload: [UInt8](repeating: 1, count: 1000), flags: 0x10)
        let gap = Self.tcpPacket(sequence: 3000, payload: [UInt8](repeating: 2, count: 1000), flags: 0x10)
        let after = Self.tcpPacket(sequence: 4000, payload: [UInt8](repeating: 3, count: 1000), flags: 0x10)
        let fin = Self.tcpPacket(sequence: 5000, payload: [], flags: 0x11)
        let udp = try FrameBuilder.ipv4UDP(source: Self.correspondent, destination: Self.vm, sourcePort: 1, destinationPort: 2,
                                           payload: [1, 2, 3])
        let (written, counters) = Self.coalesce([first, gap, udp, after, fin])
        let plainHeader = [UInt8](repeating: 0, count: 10)
        // first alone (the gap ends it), the UDP packet as it came, gap+after joined, then FIN after them.
        #expect(written.count == 4)
        #expect(written[0] == plainHeader + first)
        #expect(written[1] == plainHeader + udp)
        #expect(written[2][1] == VirtioNetHeader.gsoTCPv4)
        #expect(written[2].count == 10 + 52 + 2000)
        #expect(written[3] == plainHeader + fin)
        #expect(counters.packetsIn == 5)
    }
}
