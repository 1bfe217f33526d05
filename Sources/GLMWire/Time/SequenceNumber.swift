/// A 16-bit Binding Update sequence number, compared modulo 2^16.
///
/// RFC 6275 §9.5.1: a new number is accepted when it is "greater than" the last one,
/// which over 16 bits means `(new - last) mod 2^16` is in 1...32767.
public struct SequenceNumber: Hashable, Sendable, RawRepresentable {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ value: UInt16) { self.rawValue = value }

    /// Whether `self` comes after `other` in modulo-2^16 order.
    public func isNewer(than other: SequenceNumber) -> Bool {
        let distance = rawValue &- other.rawValue
        return distance >= 1 && distance <= 0x7fff
    }

    /// The number that follows this one, wrapping at 2^16.
    public var next: SequenceNumber { SequenceNumber(rawValue &+ 1) }
}
