#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GLMWire
import Synchronization

/// The UDP socket tunnelled packets travel on: bound to the tunnel port on one local
/// address, large buffers, and outer datagrams sent without DF.
///
/// DF is off (`IP_PMTUDISC_DONT`) so that a datagram that meets a narrower link on
/// the WAN is fragmented by the router there rather than dropped: the tunnel keeps
/// working, only slower, when the path MTU is below what the TUN's MTU assumes.
///
/// The descriptor is blocking, so a full send buffer holds the sending thread back
/// (and the TUN's queue drops, as a router's would); receives pass `MSG_DONTWAIT`.
final class TunnelSocket: Sendable {
    let descriptor: Int32
    let localAddress: IPv4Address
    let port: UInt16
    private let closed = Atomic<Bool>(false)

    init(localAddress: IPv4Address, port: UInt16, bufferSize: Int) throws(DataPlaneError) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw DataPlaneError(.socket, systemError: errno, "UDP socket")
        }
        func option(_ level: Int32, _ name: Int32, _ value: Int32) -> Bool {
            var value = value
            return setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
        }
        let size = Int32(clamping: bufferSize)
        // The FORCE variants pass net.core.[rw]mem_max with CAP_NET_ADMIN; fall back without it.
        if !option(SOL_SOCKET, SO_RCVBUFFORCE, size) { _ = option(SOL_SOCKET, SO_RCVBUF, size) }
        if !option(SOL_SOCKET, SO_SNDBUFFORCE, size) { _ = option(SOL_SOCKET, SO_SNDBUF, size) }
        guard option(Int32(IPPROTO_IP), IP_MTU_DISCOVER, IP_PMTUDISC_DONT) else {
            let code = errno
            Glibc.close(descriptor)
            throw DataPlaneError(.socket, systemError: code, "IP_MTU_DISCOVER")
        }
        var address = sockaddr_in.tunnel(localAddress, port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw DataPlaneError(.socket, systemError: code, "bind \(localAddress):\(port)")
        }
        self.descriptor = descriptor
        self.localAddress = localAddress
        self.port = port
    }

    /// Turns on receive coalescing (`UDP_GRO`): one receive may then return several
    /// datagrams of one sender back to back, all of the size a control message gives
    /// but the last. Returns false where the kernel lacks it.
    func enableReceiveCoalescing() -> Bool {
        var on: Int32 = 1
        return setsockopt(descriptor, Linux.solUDP, Linux.udpGRO, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            Glibc.close(descriptor)
        }
    }

    deinit {
        close()
    }
}

extension sockaddr_in {
    static func tunnel(_ address: IPv4Address, port: UInt16) -> sockaddr_in {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr.s_addr = address.rawValue.bigEndian
        return socketAddress
    }

    var ipv4Address: IPv4Address { IPv4Address(rawValue: UInt32(bigEndian: sin_addr.s_addr)) }
}

/// Preallocated `struct mmsghdr` entries, with a pool of `iovec`s, a peer address and
/// room for one control message each, for `recvmmsg(2)` and `sendmmsg(2)`. Owned by
/// one thread.
final class MessageBatch {
    let capacity: Int
    /// `iovec`s shared by the entries of one call.
    let vectorCapacity: Int
    static let controlSize = 32  // CMSG_SPACE(sizeof(int)) is 24; UDP_SEGMENT's u16 fits too

    let entries: UnsafeMutableRawPointer
    private let vectors: UnsafeMutablePointer<iovec>
    let addresses: UnsafeMutablePointer<sockaddr_in>
    private let control: UnsafeMutableRawPointer

    init(capacity: Int, vectorCapacity: Int? = nil) {
        self.capacity = capacity
        self.vectorCapacity = vectorCapacity ?? capacity
        entries = .allocate(byteCount: capacity * Linux.messageEntryStride, alignment: 8)
        entries.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Linux.messageEntryStride)
        vectors = .allocate(capacity: self.vectorCapacity)
        vectors.initialize(repeating: iovec(), count: self.vectorCapacity)
        addresses = .allocate(capacity: capacity)
        addresses.initialize(repeating: sockaddr_in(), count: capacity)
        control = .allocate(byteCount: capacity * Self.controlSize, alignment: 8)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * Self.controlSize)
    }

    deinit {
        entries.deallocate()
        vectors.deallocate()
        addresses.deallocate()
        control.deallocate()
    }

    func header(_ index: Int) -> UnsafeMutablePointer<msghdr> {
        (entries + index * Linux.messageEntryStride).assumingMemoryBound(to: msghdr.self)
    }

    /// `msg_len`: octets received into, or sent from, entry `index`.
    func transferred(_ index: Int) -> Int {
        Int((entries + index * Linux.messageEntryStride + Linux.messageLengthOffset).load(as: UInt32.self))
    }

    /// Points entry `index` at `length` octets at `base` to receive a datagram, with
    /// room for the sender's address and a control message.
    func prepareReceive(_ index: Int, base: UnsafeMutableRawPointer, length: Int) {
        vectors[index] = iovec(iov_base: base, iov_len: length)
        let header = self.header(index)
        header.pointee = msghdr()
        header.pointee.msg_iov = vectors + index
        header.pointee.msg_iovlen = 1
        header.pointee.msg_name = UnsafeMutableRawPointer(addresses + index)
        header.pointee.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
        header.pointee.msg_control = control + index * Self.controlSize
        header.pointee.msg_controllen = Self.controlSize
    }

    /// Sets vector `index` of the pool (for a send; receives use the first ones).
    func setVector(_ index: Int, base: UnsafeRawPointer, length: Int) {
        vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: length)
    }

    /// Makes entry `index` a send to `peer` of the pool's vectors `vectors`;
    /// with `segmentSize`, one `UDP_SEGMENT` control message has the kernel cut the
    /// gathered octets into datagrams of that size (the last may be shorter).
    func prepareSend(_ index: Int, vectors range: Range<Int>, peer: IPv4Address, port: UInt16, segmentSize: UInt16?) {
        let header = self.header(index)
        header.pointee = msghdr()
        header.pointee.msg_iov = vectors + range.lowerBound
        header.pointee.msg_iovlen = range.count
        addresses[index] = .tunnel(peer, port: port)
        header.pointee.msg_name = UnsafeMutableRawPointer(addresses + index)
        header.pointee.msg_namelen = socklen_t(MemoryLayout<sockaddr_in>.size)
        if let segmentSize {
            let control = self.control + index * Self.controlSize
            let message = control.assumingMemoryBound(to: cmsghdr.self)
            message.pointee.cmsg_len = MemoryLayout<cmsghdr>.size + 2
            message.pointee.cmsg_level = Linux.solUDP
            message.pointee.cmsg_type = Linux.udpSegment
            (control + MemoryLayout<cmsghdr>.size).storeBytes(of: segmentSize, as: UInt16.self)
            header.pointee.msg_control = control
            header.pointee.msg_controllen = MemoryLayout<cmsghdr>.size + 8
        }
    }

    /// The datagram size a `UDP_GRO` control message reports for entry `index` after a
    /// receive, or nil when the entry holds one datagram.
    func coalescedSegmentSize(_ index: Int) -> Int? {
        let header = self.header(index).pointee
        guard header.msg_controllen >= MemoryLayout<cmsghdr>.size + 4, let control = header.msg_control else { return nil }
        let message = control.assumingMemoryBound(to: cmsghdr.self).pointee
        guard message.cmsg_level == Linux.solUDP, message.cmsg_type == Linux.udpGRO else { return nil }
        let size = Int((control + MemoryLayout<cmsghdr>.size).load(as: Int32.self))
        return size > 0 ? size : nil
    }

    /// The sender of entry `index` after a receive.
    func sender(_ index: Int) -> IPv4Address {
        addresses[index].ipv4Address
    }
}
