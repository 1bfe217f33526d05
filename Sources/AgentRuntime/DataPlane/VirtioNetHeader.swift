#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GLMWire
import NIOCore

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
    /// Writes one packet made of `header` (if any) then `body`; true when all of it was taken.
    func write(header: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer) -> Bool
}

extension TunDevice: PacketWriter {
    func write(header: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer) -> Bool {
        guard let header else {
            return Glibc.write(fileDescriptor, body.baseAddress, body.count) == body.count
        }
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
            vectors[0] = iovec(iov_base: UnsafeMutableRawPointer(mutating: header.baseAddress!), iov_len: header.count)
            vectors[1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress!), iov_len: body.count)
            return writev(fileDescriptor, vectors.baseAddress!, 2) == header.count + body.count
        }
    }
}
