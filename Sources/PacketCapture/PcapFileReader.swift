internal import CPcap
import GLMWire

/// Reads packets from a pcap capture file (microsecond or nanosecond pcap, or
/// pcapng with one link type) through libpcap.
///
/// Timestamps keep the file's full precision. Owns its libpcap handle and closes it
/// on ``close()`` or when released. Not `Sendable`: use it from one task or thread.
public final class PcapFileReader {
    /// The file's link type; raw IP files report ``LinkType/rawIP``.
    public let linkType: LinkType
    /// The file's snapshot length (the most octets kept of any packet).
    public let snapshotLength: Int
    /// The path the reader was opened on.
    public let path: String

    private var handle: OpaquePointer?
    private let nanosecondPrecision: Bool

    /// Opens `path`; throws ``CaptureError/Code/open`` with libpcap's text if it
    /// cannot be read as a capture file.
    public init(path: String) throws(CaptureError) {
        let (opened, errorText) = withPcapErrorBuffer { buffer in
            pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), buffer)
        }
        guard let opened else {
            throw CaptureError(.open, "\(path): \(errorText)")
        }
        self.handle = opened
        self.path = path
        self.linkType = LinkType(dataLinkType: pcap_datalink(opened))
        self.snapshotLength = Int(pcap_snapshot(opened))
        self.nanosecondPrecision = pcap_get_tstamp_precision(opened) == PCAP_TSTAMP_PRECISION_NANO
    }

    deinit {
        if let handle { pcap_close(handle) }
    }

    /// The next packet, or nil at the end of the file.
    ///
    /// Throws ``CaptureError/Code/read`` for a damaged or cut-off file and
    /// ``CaptureError/Code/closed`` after ``close()``.
    public func next() throws(CaptureError) -> CapturedPacket? {
        guard let handle else { throw CaptureError(.closed, "\(path): reader is closed") }
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            guard let header else { throw CaptureError(.read, "\(path): libpcap returned no header") }
            return capturedPacket(header: header, data: data, nanosecondPrecision: nanosecondPrecision)
        case PCAP_ERROR_BREAK:
            return nil
        default:
            throw CaptureError(.read, status: status, "\(path): \(pcapErrorText(handle))")
        }
    }

    /// Every remaining packet, in file order.
    public func readAll() throws(CaptureError) -> [CapturedPacket] {
        var packets: [CapturedPacket] = []
        while let packet = try next() {
            packets.append(packet)
        }
        return packets
    }

    /// Releases the file; later reads throw ``CaptureError/Code/closed``. Safe to call twice.
    public func close() {
        if let handle {
            pcap_close(handle)
            self.handle = nil
        }
    }
}

@available(*, unavailable, message: "a libpcap handle is used from one thread at a time")
extension PcapFileReader: Sendable {}
