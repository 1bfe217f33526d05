/// A UDP datagram (RFC 768): ports, checksum and payload.
///
/// The checksum covers the IPv4 pseudo-header, so building and verifying take the
/// packet's source and destination addresses. A checksum of 0 means "none" over
/// IPv4; a computed 0 is sent as 0xffff.
public struct UDPDatagram: Hashable, Sendable {
    /// Octets of the UDP header.
    public static let headerLength = 8
    /// The largest payload that fits one IPv4 packet without options.
    public static let maximumPayloadLength = IPv4Packet.maximumLength - IPv4Packet.minimumHeaderLength - headerLength

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The checksum as read (or as computed when the datagram was built); 0 means none.
    public var checksum: UInt16
    public var payload: ArraySlice<UInt8>

    /// Builds a datagram with its checksum computed over the IPv4 pseudo-header
    /// of `source` and `destination`.
    ///
    /// Throws ``FrameError/Code/payloadTooLarge`` if the payload passes
    /// ``maximumPayloadLength``.
    public init(sourcePort: UInt16, destinationPort: UInt16, payload: some Sequence<UInt8>,
                source: IPv4Address, destination: IPv4Address) throws(FrameError) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payload = ArraySlice(payload)
        self.checksum = 0
        try checkBuildable()
        self.checksum = computedChecksum(source: source, destination: destination)
    }

    /// Builds a datagram with no checksum (0), which IPv4 allows.
    public init(sourcePort: UInt16, destinationPort: UInt16, payload: some Sequence<UInt8>) throws(FrameError) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payload = ArraySlice(payload)
        self.checksum = 0
        try checkBuildable()
    }

    /// Reads a datagram from the start of `bytes` (an IPv4 packet's payload).
    ///
    /// Throws ``FrameError/Code/truncated`` below 8 octets and
    /// ``FrameError/Code/badUDPLength`` if Length is below 8 or beyond the bytes
    /// present. Octets after Length are ignored. The checksum is not verified here
    /// (a capture on the sending host often holds an unfinished, offloaded one):
    /// use ``hasValidChecksum(source:destination:)``.
    public init(parsing bytes: ArraySlice<UInt8>) throws(FrameError) {
        guard bytes.count >= Self.headerLength else {
            throw .truncated("UDP header", need: Self.headerLength, have: bytes.count)
        }
        let length = Int(bytes.frameU16(4))
        guard length >= Self.headerLength, length <= bytes.count else {
            throw FrameError(.badUDPLength, "UDP length \(length), \(bytes.count) octets present")
        }
        sourcePort = bytes.frameU16(0)
        destinationPort = bytes.frameU16(2)
        checksum = bytes.frameU16(6)
        payload = bytes.frameSlice(Self.headerLength, length)
    }

    /// Reads a datagram from a whole array.
    public init(parsing bytes: [UInt8]) throws(FrameError) {
        try self.init(parsing: bytes[...])
    }

    /// Length: header plus payload.
    public var length: Int { Self.headerLength + payload.count }

    /// The checksum the current fields call for under this pseudo-header (never 0).
    public func computedChecksum(source: IPv4Address, destination: IPv4Address) -> UInt16 {
        let value = sum(source: source, destination: destination, checksumField: 0)
        return value == 0 ? 0xffff : value
    }

    /// Whether the checksum is absent (0) or verifies under this pseudo-header.
    public func hasValidChecksum(source: IPv4Address, destination: IPv4Address) -> Bool {
        checksum == 0 || sum(source: source, destination: destination, checksumField: checksum) == 0
    }

    /// The datagram's octets with a fresh Length and its checksum computed for
    /// `source` and `destination`.
    public func serialized(source: IPv4Address, destination: IPv4Address) throws(FrameError) -> [UInt8] {
        try checkBuildable()
        return write(checksum: computedChecksum(source: source, destination: destination))
    }

    /// The datagram's octets with a fresh Length and no checksum (0).
    public func serializedWithoutChecksum() throws(FrameError) -> [UInt8] {
        try checkBuildable()
        return write(checksum: 0)
    }

    private func checkBuildable() throws(FrameError) {
        guard payload.count <= Self.maximumPayloadLength else {
            throw FrameError(.payloadTooLarge, "UDP payload of \(payload.count) octets exceeds \(Self.maximumPayloadLength)")
        }
    }

    private func sum(source: IPv4Address, destination: IPv4Address, checksumField: UInt16) -> UInt16 {
        let length = UInt16(truncatingIfNeeded: self.length)
        var sum = InternetChecksum()
        sum.add(source)
        sum.add(destination)
        sum.add(word: UInt16(IPProtocolNumber.udp.rawValue))
        sum.add(word: length)
        sum.add(word: sourcePort)
        sum.add(word: destinationPort)
        sum.add(word: length)
        sum.add(word: checksumField)
        sum.add(payload)
        return sum.value
    }

    private func write(checksum: UInt16) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(length)
        out.appendFrameU16(sourcePort)
        out.appendFrameU16(destinationPort)
        out.appendFrameU16(UInt16(truncatingIfNeeded: length))
        out.appendFrameU16(checksum)
        out.append(contentsOf: payload)
        return out
    }
}
