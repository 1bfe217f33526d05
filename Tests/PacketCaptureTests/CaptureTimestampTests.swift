import PacketCapture
import Testing

@Suite("PacketCapture: capture timestamps")
struct CaptureTimestampTests {
    @Test func fractionsCarryIntoSeconds() {
        #expect(CaptureTimestamp(seconds: 1, nanoseconds: 2_500_000_000) == CaptureTimestamp(seconds: 3, nanoseconds: 500_000_000))
        #expect(CaptureTimestamp(seconds: 1, microseconds: 1_000_001) == CaptureTimestamp(seconds: 2, nanoseconds: 1000))
    }

    @Test func differenceAndAdvance() {
        let a = CaptureTimestamp(seconds: 1_795_551_825, microseconds: 981_154)
        let b = CaptureTimestamp(seconds: 1_795_551_826, microseconds: 30_671)
        #expect(b - a == .microseconds(49_517))
        #expect(a - b == .microseconds(-49_517))
        #expect(a.advanced(by: .microseconds(49_517)) == b)
        #expect(b.advanced(by: .microseconds(-49_517)) == a)
        #expect(a < b)
        #expect(a.advanced(by: .seconds(-2)) == CaptureTimestamp(seconds: 1_795_551_823, microseconds: 981_154))
    }

    @Test func textAndDouble() {
        let time = CaptureTimestamp(seconds: 1_795_551_825, nanoseconds: 981_154)
        #expect(time.description == "1795551825.000981154")
        #expect(time.microseconds == 981)
        #expect(abs((CaptureTimestamp(timeIntervalSince1970: 12.25)?.timeIntervalSince1970 ?? 0) - 12.25) < 1e-9)
        #expect(CaptureTimestamp(timeIntervalSince1970: .nan) == nil)
        #expect(CaptureTimestamp(timeIntervalSince1970: 1e30) == nil)
        #expect(CaptureTimestamp(timeIntervalSince1970: -0.5) == CaptureTimestamp(seconds: -1, nanoseconds: 500_000_000))
        #expect(CaptureTimestamp(timeIntervalSince1970: 12.25) == CaptureTimestamp(seconds: 12, nanoseconds: 250_000_000))
    }
}
