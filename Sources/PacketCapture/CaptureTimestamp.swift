/// When a packet was captured: seconds since the Unix epoch and nanoseconds.
///
/// Files written with microsecond precision read back with the nanoseconds a
/// multiple of 1000. Subtracting two timestamps gives a `Duration`.
public struct CaptureTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// Nanoseconds within the second, 0..<1_000_000_000.
    public var nanoseconds: UInt32

    /// A timestamp; nanoseconds of a second or more carry into `seconds`.
    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds + Int64(nanoseconds / 1_000_000_000)
        self.nanoseconds = nanoseconds % 1_000_000_000
    }

    /// A timestamp from seconds and microseconds; microseconds of a second or more carry.
    public init(seconds: Int64, microseconds: UInt32) {
        self.init(seconds: seconds + Int64(microseconds / 1_000_000), nanoseconds: (microseconds % 1_000_000) * 1000)
    }

    /// The timestamp nearest `timeIntervalSince1970` seconds; nil for a value that is
    /// not finite or does not fit 64-bit seconds.
    public init?(timeIntervalSince1970 interval: Double) {
        guard interval.isFinite, abs(interval) < 9e18 else { return nil }
        let whole = interval.rounded(.down)
        var seconds = Int64(whole)
        var nanoseconds = ((interval - whole) * 1e9).rounded()
        if nanoseconds >= 1e9 {
            seconds += 1
            nanoseconds -= 1e9
        }
        self.init(seconds: seconds, nanoseconds: UInt32(nanoseconds))
    }

    /// Microseconds within the second (truncated).
    public var microseconds: UInt32 { nanoseconds / 1000 }

    /// Seconds since the epoch as a `Double` (sub-microsecond detail is lost at today's dates).
    public var timeIntervalSince1970: Double {
        Double(seconds) + Double(nanoseconds) / 1e9
    }

    /// This timestamp moved by `duration` (attosecond detail below a nanosecond is dropped).
    public func advanced(by duration: Duration) -> CaptureTimestamp {
        let (durationSeconds, attoseconds) = duration.components
        var totalNanoseconds = Int64(nanoseconds) + attoseconds / 1_000_000_000
        var totalSeconds = seconds + durationSeconds
        totalSeconds += totalNanoseconds / 1_000_000_000
        totalNanoseconds %= 1_000_000_000
        if totalNanoseconds < 0 {
            totalNanoseconds += 1_000_000_000
            totalSeconds -= 1
        }
        return CaptureTimestamp(seconds: totalSeconds, nanoseconds: UInt32(totalNanoseconds))
    }

    /// The time from `rhs` to `lhs`.
    public static func - (lhs: CaptureTimestamp, rhs: CaptureTimestamp) -> Duration {
        .seconds(lhs.seconds - rhs.seconds) + .nanoseconds(Int64(lhs.nanoseconds) - Int64(rhs.nanoseconds))
    }

    public static func < (lhs: CaptureTimestamp, rhs: CaptureTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// `seconds.nanoseconds`, nine digits after the point.
    public var description: String {
        let fraction = String(nanoseconds)
        return "\(seconds)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }
}
