import Foundation

/// QEMU's self-announce frames in a pcap file: RARP (ethertype 0x8035) "reverse
/// request" (opcode 3) with the VM's MAC as Ethernet source, sender and target hardware
/// address (protocol-facts.md, "What a migrating VM looks like on the destination").
struct AnnounceFrames {
    /// Each announce's capture time, seconds since 1970.
    let timestamps: [Double]

    /// Reads a classic little-endian pcap (microsecond or nanosecond) of Ethernet frames.
    init(pcapFile: String, mac: String) throws {
        guard let data = FileManager.default.contents(atPath: pcapFile) else {
            throw CocoaError(.fileReadNoSuchFile)
        }
        let bytes = [UInt8](data)
        let macBytes = mac.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        func u16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        func le32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        var found: [Double] = []
        guard bytes.count >= 24 else {
            timestamps = []
            return
        }
        let magic = le32(0)
        let fractionScale = magic == 0xa1b2_3c4d ? 1e9 : 1e6
        guard magic == 0xa1b2_c3d4 || magic == 0xa1b2_3c4d, le32(20) == 1 else {
            throw CocoaError(.fileReadCorruptFile)
        }
        var offset = 24
        while offset + 16 <= bytes.count {
            let seconds = Double(le32(offset)), fraction = Double(le32(offset + 4))
            let length = le32(offset + 8)
            let frame = offset + 16
            offset = frame + length
            guard offset <= bytes.count, length >= 42 else { continue }
            let source = Array(bytes[frame + 6..<frame + 12])
            let sender = Array(bytes[frame + 22..<frame + 28])
            let target = Array(bytes[frame + 32..<frame + 38])
            if u16(frame + 12) == 0x8035, u16(frame + 14) == 1, u16(frame + 16) == 0x0800, u16(frame + 20) == 3,
               source == macBytes, sender == macBytes, target == macBytes {
                found.append(seconds + fraction / fractionScale)
            }
        }
        timestamps = found
    }
}
