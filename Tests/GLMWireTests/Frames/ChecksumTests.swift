import GLMWire
import Testing

extension Frames {
    @Suite("Frames: Internet checksum")
    struct ChecksumTests {
        /// The worked example of RFC 1071 §3: octets 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        @Test func rfc1071Example() {
            let data: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
            #expect(InternetChecksum.compute(data) == ~UInt16(0xddf2))
        }

        /// A textbook IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, TTL 64, DF) whose
        /// checksum is 0xb861.
        @Test func knownIPv4HeaderVector() throws {
            let header = Frames.hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7")
            #expect(IPv4Packet.headerChecksum(of: header) == 0xb861)
            #expect(InternetChecksum.compute(header) == 0, "a header with its checksum sums to zero")

            var packet = header
            packet.append(contentsOf: [UInt8](repeating: 0, count: 0x73 - 20))
            let parsed = try IPv4Packet(parsing: packet)
            #expect(parsed.headerChecksum == 0xb861)
            #expect(parsed.computedHeaderChecksum == 0xb861)
            #expect(parsed.hasValidHeaderChecksum)
            #expect(parsed.source == IPv4Address(192, 168, 0, 1))
            #expect(parsed.destination == IPv4Address(192, 168, 0, 199))
            #expect(parsed.flags == .dontFragment)
            #expect(parsed.timeToLive == 64)
            #expect(parsed.protocolNumber == .udp)
            #expect(try parsed.serialized() == packet)
        }

        /// Two headers from the QEMU migration capture (Tests/PacketCaptureTests/Fixtures,
        /// frames 9 and 23 of the bridge capture): an echo request and its reply.
        @Test func capturedIPv4HeaderVectors() {
            let request = Frames.hex("4500 0054 26a4 4000 4001 ffbe 0a0a 0001 0a0a 0032")
            let reply = Frames.hex("4500 0054 83a9 0000 4001 e2b9 0a0a 0032 0a0a 0001")
            #expect(IPv4Packet.headerChecksum(of: request) == 0xffbe)
            #expect(IPv4Packet.headerChecksum(of: reply) == 0xe2b9)
        }

        @Test func piecesMayEndOnOddOctets() {
            let data = (0..<101).map { UInt8(truncatingIfNeeded: $0 &* 89 &+ 7) }
            let whole = InternetChecksum.compute(data)
            for split in [1, 3, 50, 99] {
                var pieces = InternetChecksum()
                pieces.add(data[..<split])
                pieces.add(data[split..<(split + 1)])
                pieces.add(data[(split + 1)...])
                #expect(pieces.value == whole, "split at \(split)")
            }
        }

        @Test func headerChecksumRefusesShortInput() {
            #expect(IPv4Packet.headerChecksum(of: [UInt8](repeating: 0, count: 19)) == nil)
        }
    }
}
