/// The Internet checksum (RFC 1071) over memory, summed with native loads.
///
/// The one's-complement sum does not depend on byte order: summing little-endian
/// words and storing the folded result little-endian writes the same two octets as
/// summing and storing big-endian, so no byte swapping is needed.
enum OnesComplement {
    /// The sum of `count` octets as 32-bit words, not yet folded: a 64-bit accumulator
    /// cannot overflow below 2^32 words, so the loop carries nothing and vectorises.
    static func sum(_ bytes: UnsafeRawPointer, _ count: Int, _ initial: UInt64 = 0) -> UInt64 {
        let words = count / 4
        var first = initial
        var second: UInt64 = 0
        var index = 0
        while index + 2 <= words {
            first &+= UInt64(bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            second &+= UInt64(bytes.loadUnaligned(fromByteOffset: index * 4 + 4, as: UInt32.self))
            index += 2
        }
        if index < words {
            first &+= UInt64(bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
        }
        var offset = words * 4
        if offset + 2 <= count {
            second &+= UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            offset += 2
        }
        if offset < count {
            second &+= UInt64(bytes.load(fromByteOffset: offset, as: UInt8.self))
        }
        return first &+ second
    }

    static func fold(_ sum: UInt64) -> UInt16 {
        var value = (sum & 0xffff_ffff) + (sum >> 32)
        value = (value & 0xffff_ffff) + (value >> 32)
        value = (value & 0xffff) + (value >> 16)
        value = (value & 0xffff) + (value >> 16)
        value = (value & 0xffff) + (value >> 16)
        return UInt16(value)
    }

    /// The IPv4 pseudo-header of a transport segment of `length` octets, as a partial sum.
    static func pseudoHeader(_ ipHeader: UnsafeRawPointer, protocolNumber: UInt8, length: Int) -> UInt64 {
        UInt64(ipHeader.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            + UInt64(ipHeader.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            + UInt64(UInt16(protocolNumber) << 8) + UInt64(UInt16(truncatingIfNeeded: length).byteSwapped)
    }

    /// Recomputes an IPv4 header's checksum in place.
    static func setIPv4HeaderChecksum(_ header: UnsafeMutableRawPointer, headerLength: Int) {
        header.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
        header.storeBytes(of: ~fold(sum(header, headerLength)), toByteOffset: 10, as: UInt16.self)
    }
}
