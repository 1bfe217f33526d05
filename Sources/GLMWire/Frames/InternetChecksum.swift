/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement
/// sum of the data taken as 16-bit big-endian words.
///
/// Feed it in pieces with ``add(_:)-(some Sequence<UInt8>)``; a piece may end on an odd
/// octet, and the next piece continues the same word. Data that already holds a valid
/// checksum sums to a ``value`` of 0.
public struct InternetChecksum: Sendable {
    private var sum: UInt64 = 0
    private var pendingLowOctet = false

    public init() {}

    /// Adds octets, continuing any half-filled word from the previous call.
    public mutating func add(_ octets: some Sequence<UInt8>) {
        var iterator = octets.makeIterator()
        if pendingLowOctet {
            guard let low = iterator.next() else { return }
            sum &+= UInt64(low)
            pendingLowOctet = false
        }
        while let high = iterator.next() {
            if let low = iterator.next() {
                sum &+= UInt64(high) << 8 | UInt64(low)
            } else {
                sum &+= UInt64(high) << 8
                pendingLowOctet = true
            }
        }
    }

    /// Adds one 16-bit word; the data so far must be an even number of octets.
    public mutating func add(word: UInt16) {
        precondition(!pendingLowOctet, "InternetChecksum.add(word:) after an odd number of octets")
        sum &+= UInt64(word)
    }

    /// Adds an IPv4 address as two words.
    public mutating func add(_ address: IPv4Address) {
        add(word: UInt16(address.rawValue >> 16))
        add(word: UInt16(truncatingIfNeeded: address.rawValue))
    }

    /// The checksum of everything added: the complement of the folded sum.
    public var value: UInt16 {
        var folded = sum
        while folded >> 16 != 0 {
            folded = (folded & 0xffff) + (folded >> 16)
        }
        return ~UInt16(folded)
    }

    /// The checksum of `octets` in one go.
    public static func compute(_ octets: some Sequence<UInt8>) -> UInt16 {
        var checksum = InternetChecksum()
        checksum.add(octets)
        return checksum.value
    }
}
