import GLMWire
import Testing

/// The link-layer frame tests; suites nest here so `swift test --filter Frames` picks them.
enum Frames {
    static let vmMAC = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let bridgeMAC = MACAddress(0x5e, 0x3f, 0xac, 0xb6, 0xd9, 0x30)
    static let vmIPv4 = IPv4Address(10, 10, 0, 50)
    static let gatewayIPv4 = IPv4Address(10, 10, 0, 1)
    static let siteIPv4 = IPv4Address(198, 18, 1, 2)
    static let homeIPv4 = IPv4Address(198, 18, 0, 2)
    static let signalingPort: UInt16 = 5436

    /// A signaling-sized payload with no meaning beyond its length and variety.
    static let payload: [UInt8] = (0..<53).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

    /// QEMU's announce for 52:54:00:12:34:56, exactly as protocol-facts.md lays it out
    /// (and as the destination-bridge fixture shows it).
    static let qemuAnnounce: [UInt8] = hex("""
        ffffffffffff 525400123456 8035
        0001 0800 06 04 0003
        525400123456 00000000
        525400123456 00000000
        000000000000000000000000000000000000
        """)

    /// An Ethernet/IPv4/UDP signaling frame from the site to the home agent.
    static func signalingFrame(vlan: VLANTag? = nil) throws -> [UInt8] {
        try FrameBuilder.ethernetIPv4UDP(destinationMAC: bridgeMAC, sourceMAC: vmMAC, vlan: vlan,
                                         source: siteIPv4, destination: homeIPv4,
                                         sourcePort: signalingPort, destinationPort: signalingPort,
                                         payload: payload, identification: 0x1234)
    }

    /// The same datagram as a bare IPv4 packet.
    static func signalingPacket() throws -> [UInt8] {
        try FrameBuilder.ipv4UDP(source: siteIPv4, destination: homeIPv4,
                                 sourcePort: signalingPort, destinationPort: signalingPort,
                                 payload: payload, identification: 0x1234)
    }

    /// Octets from hex text; whitespace is ignored.
    static func hex(_ text: String) -> [UInt8] {
        let digits = text.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        var out: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            out.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    /// Asserts that `body` throws a ``FrameError`` with `code`.
    static func expectFrameError(_ code: FrameError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                                 _ body: () throws -> Void) {
        let error = #expect(throws: FrameError.self, sourceLocation: sourceLocation) { try body() }
        #expect(error?.code == code, "expected \(code), got \(String(describing: error))",
                sourceLocation: sourceLocation)
    }
}

/// A small deterministic generator (xorshift64*), so random-input tests repeat exactly.
struct FrameTestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed == 0 ? 0x9e37_79b9_7f4a_7c15 : seed
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }
}
