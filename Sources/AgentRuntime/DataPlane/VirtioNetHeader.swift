#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The `struct virtio_net_hdr` that precedes every packet on a TUN opened with
/// `IFF_VNET_HDR`: 10 octets, fields in the host's byte order (little-endian here).
struct VirtioNetHeader {
    static let size = 10
    static let needsChecksum: UInt8 = 1  // VIRTIO_NET_HDR_F_NEEDS_CSUM
    static let gsoNone: UInt8 = 0
    static let gsoTCPv4: UInt8 = 1
    static let gsoECN: UInt8 = 0x80

    var flags: UInt8 = 0
    var gsoType: UInt8 = gsoNone
    var headerLength: UInt16 = 0
    var gsoSize: UInt16 = 0
    var checksumStart: UInt16 = 0
    var checksumOffset: UInt16 = 0

    init() {}

    init(_ bytes: UnsafeRawPointer) {
        flags = bytes.load(as: UInt8.self)
        gsoType = bytes.load(fromByteOffset: 1, as: UInt8.self)
        headerLength = bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
        gsoSize = bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        checksumStart = bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
        checksumOffset = bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
    }

    func store(to bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: flags, as: UInt8.self)
        bytes.storeBytes(of: gsoType, toByteOffset: 1, as: UInt8.self)
        bytes.storeBytes(of: headerLength, toByteOffset: 2, as: UInt16.self)
        bytes.storeBytes(of: gsoSize, toByteOffset: 4, as: UInt16.self)
        bytes.storeBytes(of: checksumStart, toByteOffset: 6, as: UInt16.self)
        bytes.storeBytes(of: checksumOffset, toByteOffset: 8, as: UInt16.self)
    }

    /// Ten zero octets: a complete packet whose checksums the kernel checks itself.
    static let plain: [UInt8] = [UInt8](repeating: 0, count: size)
}

/// Where decapsulated packets go: the TUN, or a test's recorder.
protocol PacketWriter {
    /// Writes one packet gathered from `count` vectors totalling `length` octets; true
    /// when all of it was taken.
    func write(vectors: UnsafePointer<iovec>, count: Int, length: Int) -> Bool
}

extension PacketWriter {
    /// Writes one packet from contiguous memory.
    func write(_ packet: UnsafeRawBufferPointer) -> Bool {
        var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: packet.baseAddress), iov_len: packet.count)
        return write(vectors: &vector, count: 1, length: packet.count)
    }
}

extension TunDevice: PacketWriter {
    func write(vectors: UnsafePointer<iovec>, count: Int, length: Int) -> Bool {
        while true {
            let written = writev(fileDescriptor, vectors, Int32(count))
            if written < 0 && errno == EINTR { continue }
            return written == length
        }
    }
}
