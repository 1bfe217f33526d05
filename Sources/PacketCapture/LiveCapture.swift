internal import CPcap
import GLMWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Captures frames from a network interface through libpcap, and sends frames on it.
///
/// The handle is activated by the initializer and kept in non-blocking mode:
/// ``next(timeout:)`` waits on ``selectableFileDescriptor`` with `poll(2)`, so a
/// caller that has its own event loop can poll that descriptor and call
/// `next(timeout: .zero)`. Capturing needs CAP_NET_RAW (root). On Linux a handle
/// sees the interfaces of the network namespace of the thread that opened it.
///
/// Owns its libpcap handle and closes it on ``close()`` or when released. Not
/// `Sendable`: libpcap handles are not safe to share between threads, so create
/// and use a capture on one thread (or in one task).
public final class LiveCapture {
    /// Which packets to capture by direction.
    public enum Direction: Hashable, Sendable {
        /// Both sent and received (libpcap's default).
        case both
        /// Only those received on the interface.
        case incoming
        /// Only those sent from it.
        case outgoing
    }

    /// How to open the interface.
    public struct Configuration: Hashable, Sendable {
        /// The most octets kept of each packet.
        public var snapshotLength: Int
        /// Whether to put the interface in promiscuous mode.
        public var promiscuous: Bool
        /// Deliver each packet as it arrives instead of batching (what an arrival detector wants).
        public var immediateMode: Bool
        /// The kernel buffer size in octets; nil keeps libpcap's default (2 MiB on Linux).
        public var bufferSize: Int?
        /// How long the kernel may hold packets to batch them when not in immediate mode.
        public var bufferTimeout: Duration
        public var direction: Direction

        public init(snapshotLength: Int = 262_144, promiscuous: Bool = false, immediateMode: Bool = true,
                    bufferSize: Int? = nil, bufferTimeout: Duration = .milliseconds(100),
                    direction: Direction = .both) {
            self.snapshotLength = snapshotLength
            self.promiscuous = promiscuous
            self.immediateMode = immediateMode
            self.bufferSize = bufferSize
            self.bufferTimeout = bufferTimeout
            self.direction = direction
        }
    }

    /// The interface name the capture was opened on.
    public let interface: String
    /// The interface's link type (Ethernet for veths and bridges, raw IP for TUN,
    /// Linux cooked for `any`).
    public let linkType: LinkType
    /// The snapshot length in force.
    public let snapshotLength: Int
    /// libpcap's warning from activation (e.g. promiscuous mode unsupported), if any.
    public let activationWarning: String?

    private var handle: OpaquePointer?
    private let nanosecondPrecision: Bool
    private let descriptor: Int32

    /// Opens and activates a capture on `interface`.
    ///
    /// Throws ``CaptureError/Code/open`` if libpcap cannot create the handle,
    /// ``CaptureError/Code/invalidArgument`` for a setting it refuses, and
    /// ``CaptureError/Code/activate`` (with ``CaptureError/status`` such as
    /// `PCAP_ERROR_NO_SUCH_DEVICE` or `PCAP_ERROR_PERM_DENIED`) if activation fails.
    public init(interface: String, configuration: Configuration = .init()) throws(CaptureError) {
        let (created, errorText) = withPcapErrorBuffer { buffer in pcap_create(interface, buffer) }
        guard let handle = created else {
            throw CaptureError(.open, "\(interface): \(errorText)")
        }
        do throws(CaptureError) {
            func check(_ status: Int32, _ what: String) throws(CaptureError) {
                guard status == 0 else {
                    throw CaptureError(.invalidArgument, status: status, "\(interface): \(what): \(pcapStatusText(handle, status: status))")
                }
            }
            try check(pcap_set_snaplen(handle, Int32(clamping: configuration.snapshotLength)), "snapshot length")
            try check(pcap_set_promisc(handle, configuration.promiscuous ? 1 : 0), "promiscuous mode")
            try check(pcap_set_immediate_mode(handle, configuration.immediateMode ? 1 : 0), "immediate mode")
            let timeoutMilliseconds = Self.milliseconds(configuration.bufferTimeout)
            try check(pcap_set_timeout(handle, timeoutMilliseconds), "buffer timeout")
            if let bufferSize = configuration.bufferSize {
                try check(pcap_set_buffer_size(handle, Int32(clamping: bufferSize)), "buffer size")
            }
            // Nanosecond timestamps where the platform has them; microseconds otherwise.
            _ = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))

            let status = pcap_activate(handle)
            if status < 0 {
                throw CaptureError(.activate, status: status, "\(interface): \(pcapStatusText(handle, status: status))")
            }
            activationWarning = status > 0 ? pcapStatusText(handle, status: status) : nil

            if configuration.direction != .both {
                let direction = configuration.direction == .incoming ? PCAP_D_IN : PCAP_D_OUT
                guard pcap_setdirection(handle, direction) == 0 else {
                    throw CaptureError(.activate, "\(interface): direction: \(pcapErrorText(handle))")
                }
            }
            let (nonBlocking, nonBlockingText) = withPcapErrorBuffer { buffer in pcap_setnonblock(handle, 1, buffer) }
            guard nonBlocking == 0 else {
                throw CaptureError(.activate, "\(interface): non-blocking mode: \(nonBlockingText)")
            }
            let descriptor = pcap_get_selectable_fd(handle)
            guard descriptor >= 0 else {
                throw CaptureError(.activate, "\(interface): no selectable file descriptor")
            }
            self.descriptor = descriptor
        } catch {
            pcap_close(handle)
            throw error
        }
        self.handle = handle
        self.interface = interface
        self.linkType = LinkType(dataLinkType: pcap_datalink(handle))
        self.snapshotLength = Int(pcap_snapshot(handle))
        self.nanosecondPrecision = pcap_get_tstamp_precision(handle) == PCAP_TSTAMP_PRECISION_NANO
    }

    deinit {
        if let handle { pcap_close(handle) }
    }

    /// A descriptor that polls readable when packets may be waiting; valid until ``close()``.
    public var selectableFileDescriptor: Int32 { descriptor }

    /// Installs a BPF filter in tcpdump's expression language (e.g. `ether proto 0x8035`);
    /// packets already queued that do not match are discarded.
    ///
    /// Throws ``CaptureError/Code/filter`` with libpcap's text for an expression it
    /// cannot compile or install.
    public func setFilter(_ expression: String, optimize: Bool = true) throws(CaptureError) {
        let handle = try openHandle()
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, optimize ? 1 : 0, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(.filter, "\(interface): \"\(expression)\": \(pcapErrorText(handle))")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw CaptureError(.filter, "\(interface): \"\(expression)\": \(pcapErrorText(handle))")
        }
    }

    /// The next captured packet, waiting at most `timeout` (nil: until one comes).
    ///
    /// Returns nil when the time runs out. `.zero` only takes a packet that is
    /// already waiting. Throws ``CaptureError/Code/read`` if the interface goes
    /// away or libpcap fails, and ``CaptureError/Code/closed`` after ``close()``.
    public func next(timeout: Duration? = nil) throws(CaptureError) -> CapturedPacket? {
        let handle = try openHandle()
        let clock = ContinuousClock()
        let deadline = timeout.map { clock.now.advanced(by: $0) }
        while true {
            if let packet = try readWaiting(handle) {
                return packet
            }
            var wait: Int32 = -1
            if let deadline {
                let remaining = deadline - clock.now
                guard remaining > .zero else { return nil }
                wait = max(1, Self.milliseconds(remaining))
            }
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, wait)
            if ready < 0 {
                if errno == EINTR { continue }
                throw CaptureError(.read, "\(interface): poll failed (errno \(errno))")
            }
            if ready > 0, entry.revents & Int16(POLLIN) == 0, entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                // libpcap turns the condition (e.g. the interface went down) into an error.
                if let packet = try readWaiting(handle) { return packet }
                throw CaptureError(.read, "\(interface): descriptor reports an error condition (revents \(entry.revents))")
            }
        }
    }

    /// Sends one complete frame (link-layer header included) on the interface.
    ///
    /// Throws ``CaptureError/Code/inject`` with libpcap's text if the kernel refuses it.
    public func inject(_ frame: [UInt8]) throws(CaptureError) {
        let handle = try openHandle()
        let sent = frame.withUnsafeBytes { buffer in
            pcap_inject(handle, buffer.baseAddress, buffer.count)
        }
        guard sent == frame.count else {
            throw CaptureError(.inject, "\(interface): \(pcapErrorText(handle))")
        }
    }

    /// The capture's counters since activation.
    public func statistics() throws(CaptureError) -> CaptureStatistics {
        let handle = try openHandle()
        var counters = pcap_stat()
        guard pcap_stats(handle, &counters) == 0 else {
            throw CaptureError(.statistics, "\(interface): \(pcapErrorText(handle))")
        }
        return CaptureStatistics(received: counters.ps_recv, droppedByKernel: counters.ps_drop,
                                 droppedByInterface: counters.ps_ifdrop)
    }

    /// Stops capturing and releases the handle. Safe to call twice.
    public func close() {
        if let handle {
            pcap_close(handle)
            self.handle = nil
        }
    }

    private func openHandle() throws(CaptureError) -> OpaquePointer {
        guard let handle else { throw CaptureError(.closed, "\(interface): capture is closed") }
        return handle
    }

    /// A packet libpcap already holds, or nil if none is waiting (non-blocking read).
    private func readWaiting(_ handle: OpaquePointer) throws(CaptureError) -> CapturedPacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            guard let header else { return nil }
            return capturedPacket(header: header, data: data, nanosecondPrecision: nanosecondPrecision)
        case 0, PCAP_ERROR_BREAK:
            return nil
        default:
            throw CaptureError(.read, status: status, "\(interface): \(pcapStatusText(handle, status: status))")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return seconds < 0 ? 0 : Int32.max }
        let rounded = total.partialValue + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(0, rounded))
    }
}

@available(*, unavailable, message: "a libpcap handle is used from one thread at a time")
extension LiveCapture: Sendable {}
