/// One packet from a capture: when it was seen, how long it was on the wire and
/// the octets kept (at most the snapshot length).
public struct CapturedPacket: Hashable, Sendable {
    public var timestamp: CaptureTimestamp
    /// The packet's length on the wire; more than `bytes.count` when the capture cut it.
    public var originalLength: Int
    /// The captured octets, starting with the link-layer header.
    public var bytes: [UInt8]

    /// A packet; `originalLength` defaults to the octets given.
    public init(timestamp: CaptureTimestamp, bytes: [UInt8], originalLength: Int? = nil) {
        self.timestamp = timestamp
        self.bytes = bytes
        self.originalLength = originalLength ?? bytes.count
    }

    /// Whether the capture kept fewer octets than the packet had.
    public var isTruncated: Bool { bytes.count < originalLength }
}

/// How finely a capture file records time.
public enum TimestampPrecision: Hashable, Sendable {
    /// Classic pcap: microseconds (magic 0xa1b2c3d4).
    case microseconds
    /// Nanosecond pcap (magic 0xa1b23c4d).
    case nanoseconds
}
