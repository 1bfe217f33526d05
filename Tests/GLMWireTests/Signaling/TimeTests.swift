import GLMWire
import Testing

@Suite("Timestamps and sequence numbers")
struct TimeTests {
    @Test("48.16 timestamps from seconds and back")
    func timestampConversion() throws {
        let stamp = try #require(PMIPTimestamp(secondsSince1970: 1_795_000_000.5))
        #expect(stamp.seconds == 1_795_000_000)
        #expect(stamp.fraction == 0x8000)
        #expect(stamp.rawValue == 1_795_000_000 << 16 | 0x8000)
        #expect(stamp.secondsSince1970 == 1_795_000_000.5)
        #expect(PMIPTimestamp(secondsSince1970: 0.25)!.fraction == 0x4000)
    }

    @Test("limits of the 48-bit seconds field")
    func timestampLimits() {
        let last = Double(UInt64(1) << 48) - 1
        #expect(PMIPTimestamp(secondsSince1970: last)?.seconds == (UInt64(1) << 48) - 1)
        #expect(PMIPTimestamp(secondsSince1970: last + 1) == nil)
        #expect(PMIPTimestamp(secondsSince1970: -0.001) == nil)
        #expect(PMIPTimestamp(secondsSince1970: .nan) == nil)
        #expect(PMIPTimestamp(seconds: (UInt64(1) << 48) - 1, fraction: 0xffff)?.rawValue == UInt64.max)
        #expect(PMIPTimestamp(seconds: UInt64(1) << 48, fraction: 0) == nil)
    }

    @Test("ordering and the validity window")
    func timestampOrdering() throws {
        let earlier = try #require(PMIPTimestamp(secondsSince1970: 100.0))
        let later = try #require(PMIPTimestamp(secondsSince1970: 100.001))
        #expect(earlier < later)
        #expect(abs(earlier.distance(to: later) - 0.001) < 1.0 / 65536)
        #expect(later.isWithin(0.3, of: earlier))
        #expect(PMIPTimestamp(secondsSince1970: 100.3)!.isWithin(0.3, of: earlier))
        #expect(!PMIPTimestamp(secondsSince1970: 100.31)!.isWithin(0.3, of: earlier))
        #expect(!PMIPTimestamp(secondsSince1970: 99.69)!.isWithin(0.3, of: earlier))
    }

    @Test("sequence numbers compare modulo 2^16 (RFC 6275 §9.5.1)")
    func sequenceNumbers() {
        let last = SequenceNumber(10)
        #expect(SequenceNumber(11).isNewer(than: last))
        #expect(SequenceNumber(10 &+ 32767).isNewer(than: last), "the limit")
        #expect(!SequenceNumber(10 &+ 32768).isNewer(than: last), "one past the limit")
        #expect(!SequenceNumber(10).isNewer(than: last), "the same number")
        #expect(!SequenceNumber(9).isNewer(than: last))
        #expect(SequenceNumber(0).isNewer(than: SequenceNumber(0xffff)), "wrap-around")
        #expect(SequenceNumber(0xffff).next == SequenceNumber(0))
    }
}
