import GLMWire
import NIOCore
import Testing

@Suite("Data-tunnel framing")
struct TunnelFrameTests {
    /// A 28-octet IPv4/UDP packet from 10.10.0.50 to 10.10.0.9 (RFC 791 §3.1 layout).
    static let inner: [UInt8] = [
        0x45, 0x00, 0x00, 0x1c,  // version 4, IHL 5; TOS; Total Length 28
        0x12, 0x34, 0x40, 0x00,  // Identification; DF
        0x40, 0x11, 0x00, 0x00,  // TTL 64, UDP, checksum (not checked here)
        10, 10, 0, 50,           // source
        10, 10, 0, 9,            // destination
        0x30, 0x39, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00,  // UDP 12345 -> 53, length 8
    ]

    static let formats: [TunnelFrame.Format] = [.bare, .tlv, .tlvGRE(key: nil), .tlvGRE(key: 0xfeed_0001)]

    func encode(_ format: TunnelFrame.Format, _ packet: [UInt8] = inner) throws -> [UInt8] {
        var buffer = ByteBuffer()
        try TunnelFrame.encode(ByteBuffer(bytes: packet), format: format, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    func code(_ bytes: [UInt8]) -> TunnelFrameError.Code? {
        do { _ = try TunnelFrame(decoding: ByteBuffer(bytes: bytes)); return nil } catch { return error.code }
    }

    @Test("every format round-trips and reads the inner addresses", arguments: formats)
    func roundTrip(_ format: TunnelFrame.Format) throws {
        let bytes = try encode(format)
        #expect(bytes.count == Self.inner.count + TunnelFrame.overhead(format))
        let frame = try TunnelFrame(decoding: ByteBuffer(bytes: bytes))
        #expect(frame.format == format)
        #expect(Array(frame.packet.readableBytesView) == Self.inner)
        #expect(frame.innerSource == IPv4Address(10, 10, 0, 50))
        #expect(frame.innerDestination == IPv4Address(10, 10, 0, 9))
    }

    @Test("the TLV header and GRE header are laid out as RFC 5845 and RFC 2890 say")
    func layout() throws {
        #expect(try encode(.tlv).prefix(4) == [0x00, 4, 0x00, 28])
        #expect(try encode(.tlvGRE(key: 0xfeed_0001)).prefix(12) == [0x00, 47, 0x00, 36, 0x20, 0x00, 0x08, 0x00, 0xfe, 0xed, 0x00, 0x01])
        #expect(try encode(.tlvGRE(key: nil)).prefix(8) == [0x00, 47, 0x00, 32, 0x00, 0x00, 0x08, 0x00])
    }

    @Test("every truncated prefix is rejected", arguments: formats)
    func truncated(_ format: TunnelFrame.Format) throws {
        let bytes = try encode(format)
        for length in 0..<bytes.count {
            #expect(code(Array(bytes.prefix(length))) != nil, "prefix \(length)")
        }
    }

    @Test("malformed frames get distinct errors")
    func malformed() throws {
        #expect(code([]) == .truncated)
        #expect(code([0x10] + Self.inner) == .unsupportedHeaderType)
        #expect(code([0x00, 17, 0x00, 28] + Self.inner) == .unsupportedNextHeader)
        #expect(code([0x00, 4, 0x00, 29] + Self.inner) == .lengthMismatch)
        #expect(code([0x00, 47, 0x00, 32, 0x00, 0x01, 0x08, 0x00] + Self.inner) == .unsupportedGRE, "GRE version 1")
        #expect(code([0x00, 47, 0x00, 32, 0x00, 0x00, 0x86, 0xdd] + Self.inner) == .unsupportedGRE, "not IPv4")
        var ipv6 = Self.inner
        ipv6[0] = 0x60
        #expect(code([0x00, 4, 0x00, 28] + ipv6) == .notIPv4)
        var shortTotal = Self.inner
        shortTotal[3] = 27
        #expect(code(shortTotal) == .lengthMismatch)
        #expect(code(Self.inner + [0]) == .lengthMismatch)
    }

    @Test("the encoder refuses what it could not frame")
    func encodeRefusals() {
        #expect(throws: TunnelFrameError.self) { try encode(.tlv, [0x60] + Self.inner.dropFirst()) }
        #expect(throws: TunnelFrameError.self) { try encode(.bare, Array(Self.inner.prefix(19))) }
    }
}
