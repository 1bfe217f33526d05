/// Big-endian reads from bytes whose bounds the caller has already checked.
struct WireBytes {
    let raw: UnsafeRawBufferPointer

    var count: Int { raw.count }

    @inline(__always) func u8(_ at: Int) -> UInt8 { raw[at] }

    @inline(__always) func u16(_ at: Int) -> UInt16 {
        UInt16(raw[at]) << 8 | UInt16(raw[at + 1])
    }

    @inline(__always) func u32(_ at: Int) -> UInt32 {
        UInt32(raw[at]) << 24 | UInt32(raw[at + 1]) << 16 | UInt32(raw[at + 2]) << 8 | UInt32(raw[at + 3])
    }

    @inline(__always) func u64(_ at: Int) -> UInt64 {
        UInt64(u32(at)) << 32 | UInt64(u32(at + 4))
    }

    @inline(__always) func ipv4(_ at: Int) -> IPv4Address { IPv4Address(rawValue: u32(at)) }

    func bytes(_ range: Range<Int>) -> [UInt8] { Array(raw[range]) }
}
