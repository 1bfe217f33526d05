#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// A layer-3 TUN interface: IPv4 packets the kernel routes into it are read here, and
/// packets written here enter the kernel as if they arrived on it.
///
/// Opened from `/dev/net/tun` with `IFF_TUN | IFF_NO_PI` (no packet-information prefix),
/// in the network namespace of the calling thread. The interface exists while the
/// descriptor is open and disappears, with every route through it, on ``close()``.
/// The descriptor is non-blocking: ``read(into:)`` returns nil when nothing waits; poll
/// ``fileDescriptor`` to wait.
///
/// With `segmentationOffload`, the device is opened with `IFF_VNET_HDR` and told that
/// its reader completes checksums and segments TCP (`TUN_F_CSUM | TUN_F_TSO4`): every
/// read and write then starts with a ``VirtioNetHeader`` and may carry a TCP packet of
/// up to 64 KiB that the reader must cut into MTU-sized segments.
public final class TunDevice: Sendable {
    /// The interface name the kernel gave the device.
    public let name: String
    /// The device's descriptor; valid until ``close()``.
    public let fileDescriptor: Int32
    /// Whether reads and writes carry a ``VirtioNetHeader`` (see the type's summary).
    public let segmentationOffload: Bool

    private let closed = Atomic<Bool>(false)

    /// Creates the device `name` (a template such as `glm%d` lets the kernel number it).
    ///
    /// Throws ``DataPlaneError/Code/tunDevice`` with the errno when `/dev/net/tun` is
    /// missing, the caller lacks CAP_NET_ADMIN, or the name is taken by another kind of device.
    public init(name: String, segmentationOffload: Bool = false) throws(DataPlaneError) {
        var request = try Linux.interfaceRequest(name)
        let descriptor = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw DataPlaneError(.tunDevice, systemError: errno, "open /dev/net/tun")
        }
        var flags = Linux.iffTUN | Linux.iffNoPacketInformation
        if segmentationOffload { flags |= Linux.iffVirtioHeader }
        withUnsafeBytes(of: flags) { request.replaceSubrange(16..<18, with: $0) }
        let status = request.withUnsafeMutableBytes { ioctl(descriptor, Linux.tunSetInterface, $0.baseAddress!) }
        guard status == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw DataPlaneError(.tunDevice, systemError: code, "TUNSETIFF \(name)")
        }
        if segmentationOffload {
            let offloads = Linux.tunOffloadChecksum | Linux.tunOffloadTSO4
            guard ioctl(descriptor, Linux.tunSetOffload, CInt(offloads)) == 0 else {
                let code = errno
                Glibc.close(descriptor)
                throw DataPlaneError(.tunDevice, systemError: code, "TUNSETOFFLOAD \(name)")
            }
        }
        self.name = String(decoding: request[0..<16].prefix(while: { $0 != 0 }), as: UTF8.self)
        self.fileDescriptor = descriptor
        self.segmentationOffload = segmentationOffload
    }

    deinit {
        close()
    }

    /// Reads one packet into `buffer`; nil when none is waiting.
    ///
    /// A packet longer than `buffer` is cut short by the kernel: give room for the
    /// MTU (plus ``VirtioNetHeader/size`` and 64 KiB with segmentation offload).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataPlaneError) -> Int? {
        while true {
            let count = Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            switch errno {
            case EINTR: continue
            case EAGAIN: return nil
            case let code: throw DataPlaneError(.tunDevice, systemError: code, "read \(name)")
            }
        }
    }

    /// Writes one packet (after its ``VirtioNetHeader`` with segmentation offload).
    public func write(_ packet: UnsafeRawBufferPointer) throws(DataPlaneError) {
        while true {
            let count = Glibc.write(fileDescriptor, packet.baseAddress, packet.count)
            if count >= 0 { return }
            if errno == EINTR { continue }
            throw DataPlaneError(.tunDevice, systemError: errno, "write \(name)")
        }
    }

    /// Closes the descriptor, which deletes the interface. Safe to call twice; the
    /// caller makes sure no thread still uses ``fileDescriptor``.
    public func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            Glibc.close(fileDescriptor)
        }
    }
}
