/// RFC 1071's checksum: the ones' complement of the ones' complement sum of the octets
/// taken in 16-bit big-endian words (an odd last octet padded with zero).
func internetChecksum(_ bytes: some Collection<UInt8>) -> UInt16 {
    var sum: UInt32 = 0
    var iterator = bytes.makeIterator()
    while let high = iterator.next() {
        sum += UInt32(high) << 8 | UInt32(iterator.next() ?? 0)
    }
    while sum > 0xffff { sum = sum & 0xffff + sum >> 16 }
    return ~UInt16(sum)
}
