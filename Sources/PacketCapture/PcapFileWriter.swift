internal import CPcap
import GLMWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a pcap capture file of one link type, through libpcap's dump functions.
///
/// Call ``close()`` to be told about a failed final write; releasing the writer
/// also closes the file, silently. Not `Sendable`: use it from one task or thread.
public final class PcapFileWriter {
    /// The link type in the file header.
    public let linkType: LinkType
    /// The most octets kept of any packet; longer packets are cut, as a capture would.
    public let snapshotLength: Int
    /// The file's timestamp precision.
    public let precision: TimestampPrecision
    /// The path being written.
    public let path: String

    private var handle: OpaquePointer?
    private var dumper: OpaquePointer?

    /// Creates (or truncates) `path` and writes the file header.
    ///
    /// Throws ``CaptureError/Code/invalidArgument`` for a snapshot length outside
    /// 1...262144 and ``CaptureError/Code/open`` with libpcap's text if the file
    /// cannot be created or the link type cannot be saved.
    public init(path: String, linkType: LinkType, snapshotLength: Int = 262_144,
                precision: TimestampPrecision = .microseconds) throws(CaptureError) {
        guard (1...262_144).contains(snapshotLength) else {
            throw CaptureError(.invalidArgument, "snapshot length \(snapshotLength) is outside 1...262144")
        }
        let precisionCode = precision == .nanoseconds ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO
        guard let handle = pcap_open_dead_with_tstamp_precision(linkType.dataLinkType, Int32(snapshotLength),
                                                                 UInt32(precisionCode)) else {
            throw CaptureError(.open, "\(path): pcap_open_dead failed for link type \(linkType)")
        }
        guard let dumper = pcap_dump_open(handle, path) else {
            let text = pcapErrorText(handle)
            pcap_close(handle)
            throw CaptureError(.open, "\(path): \(text)")
        }
        self.handle = handle
        self.dumper = dumper
        self.linkType = linkType
        self.snapshotLength = snapshotLength
        self.precision = precision
        self.path = path
    }

    deinit {
        if let dumper { pcap_dump_close(dumper) }
        if let handle { pcap_close(handle) }
    }

    /// Appends one packet captured at `timestamp`.
    ///
    /// `originalLength` (default: the octets given) is recorded as the length on
    /// the wire; octets past the snapshot length are not stored. Throws
    /// ``CaptureError/Code/invalidArgument`` for a timestamp the format cannot hold
    /// (before 1970 or after 2106), ``CaptureError/Code/write`` if the file
    /// reports an error and ``CaptureError/Code/closed`` after ``close()``.
    public func write(_ bytes: [UInt8], at timestamp: CaptureTimestamp, originalLength: Int? = nil) throws(CaptureError) {
        guard let dumper else { throw CaptureError(.closed, "\(path): writer is closed") }
        guard (0...Int64(UInt32.max)).contains(timestamp.seconds) else {
            throw CaptureError(.invalidArgument, "timestamp \(timestamp) does not fit a pcap record")
        }
        let capturedLength = min(bytes.count, snapshotLength)
        let wireLength = max(originalLength ?? bytes.count, capturedLength)
        guard wireLength <= Int(UInt32.max) else {
            throw CaptureError(.invalidArgument, "original length \(wireLength) does not fit a pcap record")
        }
        let fraction = precision == .nanoseconds ? timestamp.nanoseconds : timestamp.microseconds
        var header = pcap_pkthdr()
        header.ts.tv_sec = .init(timestamp.seconds)
        header.ts.tv_usec = .init(fraction)
        header.caplen = UInt32(capturedLength)
        header.len = UInt32(wireLength)
        bytes.withUnsafeBufferPointer { buffer in
            pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, buffer.baseAddress)
        }
        if let file = pcap_dump_file(dumper), ferror(file) != 0 {
            throw CaptureError(.write, "\(path): write failed (errno \(errno))")
        }
    }

    /// Appends a packet with its own timestamp and original length.
    public func write(_ packet: CapturedPacket) throws(CaptureError) {
        try write(packet.bytes, at: packet.timestamp, originalLength: packet.originalLength)
    }

    /// Pushes buffered packets to the file.
    public func flush() throws(CaptureError) {
        guard let dumper else { throw CaptureError(.closed, "\(path): writer is closed") }
        guard pcap_dump_flush(dumper) == 0 else {
            throw CaptureError(.write, "\(path): flush failed (errno \(errno))")
        }
    }

    /// Flushes and closes the file. Safe to call twice; the second call does nothing.
    /// Throws ``CaptureError/Code/write`` if the final flush failed (the file is closed all the same).
    public func close() throws(CaptureError) {
        guard let dumper, let handle else { return }
        let flushed = pcap_dump_flush(dumper) == 0
        pcap_dump_close(dumper)
        pcap_close(handle)
        self.dumper = nil
        self.handle = nil
        guard flushed else {
            throw CaptureError(.write, "\(path): final flush failed")
        }
    }
}

@available(*, unavailable, message: "a libpcap handle is used from one thread at a time")
extension PcapFileWriter: Sendable {}
