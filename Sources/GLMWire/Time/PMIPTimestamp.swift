/// The RFC 5213 §8.8 Timestamp: 48 bits of seconds since 1970-01-01 00:00 UTC and 16
/// bits of 1/65536-second fractions, in one 64-bit value.
///
/// Ordering is numeric, so a later time compares greater. Time comes from the caller:
/// the type never reads a clock.
public struct PMIPTimestamp: Hashable, Sendable, Comparable, RawRepresentable {
    /// Seconds in the high 48 bits, fraction in the low 16.
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Creates a timestamp from whole seconds (48 bits at most) and a fraction in 1/65536 s.
    public init?(seconds: UInt64, fraction: UInt16) {
        guard seconds >> 48 == 0 else { return nil }
        self.rawValue = seconds << 16 | UInt64(fraction)
    }

    /// Creates the timestamp nearest below a POSIX time in seconds; nil if negative or past 2^48 s.
    public init?(secondsSince1970 time: Double) {
        guard time.isFinite, time >= 0, time < Double(UInt64(1) << 48) else { return nil }
        let whole = time.rounded(.down)
        let fraction = ((time - whole) * 65536).rounded(.down)
        self.rawValue = UInt64(whole) << 16 | UInt64(min(fraction, 65535))
    }

    public var seconds: UInt64 { rawValue >> 16 }
    public var fraction: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Seconds since 1970 as a floating-point value, with the fraction.
    public var secondsSince1970: Double { Double(seconds) + Double(fraction) / 65536 }

    /// `other - self` in seconds (negative when `other` is earlier).
    public func distance(to other: PMIPTimestamp) -> Double {
        other.secondsSince1970 - secondsSince1970
    }

    /// Whether `self` lies within `window` seconds of `now`, either side
    /// (RFC 5213 §5.5, TimestampValidityWindow).
    public func isWithin(_ window: Double, of now: PMIPTimestamp) -> Bool {
        abs(now.distance(to: self)) <= window
    }

    public static func < (lhs: PMIPTimestamp, rhs: PMIPTimestamp) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
