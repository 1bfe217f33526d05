#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Linux constants and calls the Glibc module does not export (they sit behind
/// `_GNU_SOURCE` or in `<linux/*.h>` headers), declared here with their kernel values.
enum Linux {
    // <linux/if_tun.h>
    static let tunSetInterface: UInt = 0x4004_54ca  // TUNSETIFF
    static let tunSetOffload: UInt = 0x4004_54d0  // TUNSETOFFLOAD
    static let tunSetVirtioHeaderSize: UInt = 0x4004_54d8  // TUNSETVNETHDRSZ
    static let iffTUN: Int16 = 0x0001
    static let iffNoPacketInformation: Int16 = 0x1000  // IFF_NO_PI
    static let iffVirtioHeader: Int16 = 0x4000  // IFF_VNET_HDR
    static let tunOffloadChecksum: UInt = 0x01  // TUN_F_CSUM
    static let tunOffloadTSO4: UInt = 0x02  // TUN_F_TSO4

    // <linux/sockios.h>
    static let getInterfaceFlags: UInt = 0x8913  // SIOCGIFFLAGS
    static let setInterfaceFlags: UInt = 0x8914  // SIOCSIFFLAGS
    static let setInterfaceMTU: UInt = 0x8922  // SIOCSIFMTU
    static let interfaceUp: Int16 = 0x1  // IFF_UP

    // <linux/udp.h>, <netinet/in.h>
    static let solUDP: Int32 = 17
    static let udpSegment: Int32 = 103  // UDP_SEGMENT (send-side GSO)
    static let udpGRO: Int32 = 104  // UDP_GRO (receive-side coalescing)

    // <linux/if_ether.h>
    static let ethernetProtocolARP: UInt16 = 0x0806

    /// `struct mmsghdr` is a `msghdr` followed by `unsigned int msg_len`, padded to 64 octets.
    static let messageEntryStride = 64
    static let messageLengthOffset = MemoryLayout<msghdr>.size

    typealias ReceiveMessages = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias SendMessages = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32) -> Int32

    /// `recvmmsg(2)`, looked up in the C library once.
    static let receiveMessages: ReceiveMessages = unsafeBitCast(symbol("recvmmsg"), to: ReceiveMessages.self)
    /// `sendmmsg(2)`, looked up in the C library once.
    static let sendMessages: SendMessages = unsafeBitCast(symbol("sendmmsg"), to: SendMessages.self)

    typealias SetThreadName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    /// `pthread_setname_np(3)`, so the data plane's threads show by name in `top -H` and `perf`.
    static let setThreadName: SetThreadName = unsafeBitCast(symbol("pthread_setname_np"), to: SetThreadName.self)

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer {
        // RTLD_DEFAULT is the null handle in glibc and musl.
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("the C library has no \(name)")
        }
        return address
    }

    /// `strerror(3)` for `code`.
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// A 40-octet `struct ifreq` with `name` in `ifr_name`, for the interface ioctls.
    static func interfaceRequest(_ name: String) throws(DataPlaneError) -> [UInt8] {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count < 16, !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")) else {
            throw DataPlaneError(.invalidArgument, "\"\(name)\" is not a valid interface name (1-15 octets)")
        }
        var request = [UInt8](repeating: 0, count: 40)
        request.replaceSubrange(0..<bytes.count, with: bytes)
        return request
    }
}

/// A descriptor that becomes readable, for good, when ``signal()`` is called: the way
/// the data plane's threads learn to stop while they wait in `poll(2)`.
final class Wakeup: @unchecked Sendable {
    // Both descriptors are fixed at init and closed only in deinit.
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws(DataPlaneError) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            throw DataPlaneError(.thread, systemError: errno, "pipe")
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }
}

/// A POSIX thread running one closure; ``join()`` waits for it to return.
final class WorkerThread: @unchecked Sendable {
    // `thread` is written once in init before anyone can call join().
    private var thread = pthread_t()
    private var joined = false

    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    init(name: String, _ run: @escaping @Sendable () -> Void) throws(DataPlaneError) {
        let body = Unmanaged.passRetained(Body(name: name, run: run))
        let status = pthread_create(&thread, nil, { argument in
            let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
            _ = Linux.setThreadName(pthread_self(), String(body.name.prefix(15)))
            body.run()
            return nil
        }, body.toOpaque())
        guard status == 0 else {
            body.release()
            throw DataPlaneError(.thread, systemError: status, "pthread_create \(name)")
        }
    }

    /// Waits for the closure to return. Call once, from another thread.
    func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }
}
