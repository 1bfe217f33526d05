// Big-endian reads and writes for the frame codecs. Offsets are relative to the
// slice's start; every caller checks the slice's count before reading.

extension ArraySlice where Element == UInt8 {
    @inline(__always) func frameU8(_ offset: Int) -> UInt8 {
        self[startIndex + offset]
    }

    @inline(__always) func frameU16(_ offset: Int) -> UInt16 {
        UInt16(self[startIndex + offset]) << 8 | UInt16(self[startIndex + offset + 1])
    }

    @inline(__always) func frameU32(_ offset: Int) -> UInt32 {
        let i = startIndex + offset
        return UInt32(self[i]) << 24 | UInt32(self[i + 1]) << 16 | UInt32(self[i + 2]) << 8 | UInt32(self[i + 3])
    }

    @inline(__always) func frameMAC(_ offset: Int) -> MACAddress {
        let i = startIndex + offset
        return MACAddress(self[i], self[i + 1], self[i + 2], self[i + 3], self[i + 4], self[i + 5])
    }

    @inline(__always) func frameIPv4(_ offset: Int) -> IPv4Address {
        IPv4Address(rawValue: frameU32(offset))
    }

    /// The octets from `from` (relative) to `to` (relative, exclusive).
    @inline(__always) func frameSlice(_ from: Int, _ to: Int) -> ArraySlice<UInt8> {
        self[(startIndex + from)..<(startIndex + to)]
    }

    /// The octets from `from` (relative) to the end.
    @inline(__always) func frameSlice(from: Int) -> ArraySlice<UInt8> {
        self[(startIndex + from)...]
    }
}

extension Array where Element == UInt8 {
    @inline(__always) mutating func appendFrameU16(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always) mutating func appendFrameU32(_ value: UInt32) {
        append(UInt8(value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always) mutating func appendFrameMAC(_ mac: MACAddress) {
        let raw = mac.rawValue
        for shift in stride(from: 40, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: raw >> UInt64(shift)))
        }
    }

    @inline(__always) mutating func appendFrameIPv4(_ address: IPv4Address) {
        appendFrameU32(address.rawValue)
    }

    /// Overwrites two octets at an absolute index.
    @inline(__always) mutating func setFrameU16(_ value: UInt16, at index: Int) {
        self[index] = UInt8(value >> 8)
        self[index + 1] = UInt8(truncatingIfNeeded: value)
    }
}
