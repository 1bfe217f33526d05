/// An IPv4 packet (RFC 791): the header's fields, its options and the payload.
///
/// ``init(parsing:verifyingChecksum:)`` checks every length against the bytes
/// present and cuts the payload at Total Length, so Ethernet padding is dropped.
/// It does not reassemble: a fragment's payload is just that fragment's octets
/// (see ``isFragment``). ``serialized()`` always writes a fresh Total Length and
/// header checksum, so a packet whose fields were changed comes out valid.
public struct IPv4Packet: Hashable, Sendable {
    /// The flag bits of the Flags field.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// The reserved bit; must be zero on the wire (RFC 791).
        public static let reserved = Flags(rawValue: 0b100)
        /// DF: do not fragment.
        public static let dontFragment = Flags(rawValue: 0b010)
        /// MF: more fragments follow.
        public static let moreFragments = Flags(rawValue: 0b001)
    }

    /// A header without options: 20 octets.
    public static let minimumHeaderLength = 20
    /// A header with the most options IHL allows: 60 octets.
    public static let maximumHeaderLength = 60
    /// The largest Total Length.
    public static let maximumLength = Int(UInt16.max)

    /// DSCP and ECN (the former Type of Service octet).
    public var typeOfService: UInt8
    public var identification: UInt16
    public var flags: Flags
    /// The fragment offset in 8-octet units (13 bits).
    public var fragmentOffset: UInt16
    public var timeToLive: UInt8
    public var protocolNumber: IPProtocolNumber
    /// The header checksum as read (or as computed when the packet was built).
    public var headerChecksum: UInt16
    public var source: IPv4Address
    public var destination: IPv4Address
    /// The header's options, as raw octets (a multiple of 4, at most 40).
    public var options: ArraySlice<UInt8>
    public var payload: ArraySlice<UInt8>

    /// Builds a packet, computing its header checksum.
    ///
    /// Throws ``FrameError/Code/payloadTooLarge`` if the packet would pass 65535
    /// octets and ``FrameError/Code/badHeaderLength`` if `options` is not a
    /// multiple of 4 octets or is longer than 40.
    public init(source: IPv4Address, destination: IPv4Address, protocolNumber: IPProtocolNumber,
                payload: some Sequence<UInt8>, timeToLive: UInt8 = 64, identification: UInt16 = 0,
                flags: Flags = .dontFragment, fragmentOffset: UInt16 = 0, typeOfService: UInt8 = 0,
                options: [UInt8] = []) throws(FrameError) {
        self.typeOfService = typeOfService
        self.identification = identification
        self.flags = flags
        self.fragmentOffset = fragmentOffset & 0x1fff
        self.timeToLive = timeToLive
        self.protocolNumber = protocolNumber
        self.headerChecksum = 0
        self.source = source
        self.destination = destination
        self.options = options[...]
        self.payload = ArraySlice(payload)
        try checkBuildable()
        self.headerChecksum = computedHeaderChecksum
    }

    /// Reads a packet from the start of `bytes`; octets after Total Length are ignored.
    ///
    /// Throws, in this order of checks: ``FrameError/Code/truncated`` (fewer than 20
    /// octets, or fewer than IHL says), ``FrameError/Code/notIPv4`` (version is not
    /// 4), ``FrameError/Code/badHeaderLength`` (IHL below 5),
    /// ``FrameError/Code/totalLengthMismatch`` (Total Length below the header length
    /// or beyond the bytes present), and, when `verifyingChecksum`,
    /// ``FrameError/Code/badHeaderChecksum``.
    public init(parsing bytes: ArraySlice<UInt8>, verifyingChecksum: Bool = true) throws(FrameError) {
        guard bytes.count >= Self.minimumHeaderLength else {
            throw .truncated("IPv4 header", need: Self.minimumHeaderLength, have: bytes.count)
        }
        let versionAndIHL = bytes.frameU8(0)
        guard versionAndIHL >> 4 == 4 else {
            throw FrameError(.notIPv4, "version \(versionAndIHL >> 4)")
        }
        let headerLength = Int(versionAndIHL & 0x0f) * 4
        guard headerLength >= Self.minimumHeaderLength else {
            throw FrameError(.badHeaderLength, "IHL \(versionAndIHL & 0x0f) is below 5")
        }
        guard bytes.count >= headerLength else {
            throw .truncated("IPv4 header with options", need: headerLength, have: bytes.count)
        }
        let totalLength = Int(bytes.frameU16(2))
        guard totalLength >= headerLength, totalLength <= bytes.count else {
            throw FrameError(.totalLengthMismatch,
                             "total length \(totalLength), header \(headerLength), \(bytes.count) octets present")
        }
        if verifyingChecksum {
            let sum = InternetChecksum.compute(bytes.frameSlice(0, headerLength))
            guard sum == 0 else {
                throw FrameError(.badHeaderChecksum, "header checksum 0x\(String(bytes.frameU16(10), radix: 16)) does not verify")
            }
        }
        typeOfService = bytes.frameU8(1)
        identification = bytes.frameU16(4)
        let flagsAndOffset = bytes.frameU16(6)
        flags = Flags(rawValue: UInt8(flagsAndOffset >> 13))
        fragmentOffset = flagsAndOffset & 0x1fff
        timeToLive = bytes.frameU8(8)
        protocolNumber = IPProtocolNumber(rawValue: bytes.frameU8(9))
        headerChecksum = bytes.frameU16(10)
        source = bytes.frameIPv4(12)
        destination = bytes.frameIPv4(16)
        options = bytes.frameSlice(Self.minimumHeaderLength, headerLength)
        payload = bytes.frameSlice(headerLength, totalLength)
    }

    /// Reads a packet from a whole array.
    public init(parsing bytes: [UInt8], verifyingChecksum: Bool = true) throws(FrameError) {
        try self.init(parsing: bytes[...], verifyingChecksum: verifyingChecksum)
    }

    /// The header's length in octets: 20 plus the options.
    public var headerLength: Int { Self.minimumHeaderLength + options.count }

    /// Total Length: header plus payload.
    public var totalLength: Int { headerLength + payload.count }

    /// Whether this is one fragment of a larger datagram (MF set or a non-zero offset).
    public var isFragment: Bool { flags.contains(.moreFragments) || fragmentOffset != 0 }

    /// The header checksum the current fields call for.
    public var computedHeaderChecksum: UInt16 {
        var header = [UInt8]()
        header.reserveCapacity(headerLength)
        writeHeader(into: &header, checksum: 0)
        return InternetChecksum.compute(header)
    }

    /// Whether ``headerChecksum`` matches the current fields.
    public var hasValidHeaderChecksum: Bool { headerChecksum == computedHeaderChecksum }

    /// The header checksum of a header's octets, its own checksum field taken as zero.
    ///
    /// `header` must be at least 20 octets (shorter input returns nil); pass exactly
    /// the header (IHL × 4 octets).
    public static func headerChecksum(of header: some Collection<UInt8>) -> UInt16? {
        guard header.count >= minimumHeaderLength, header.count % 2 == 0 else { return nil }
        var checksum = InternetChecksum()
        checksum.add(header.prefix(10))
        checksum.add(header.dropFirst(12))
        return checksum.value
    }

    /// The packet's octets with a fresh Total Length and header checksum.
    ///
    /// Throws ``FrameError/Code/payloadTooLarge`` or ``FrameError/Code/badHeaderLength``
    /// if the fields cannot be encoded.
    public func serialized() throws(FrameError) -> [UInt8] {
        try checkBuildable()
        var out = [UInt8]()
        out.reserveCapacity(totalLength)
        writeHeader(into: &out, checksum: 0)
        out.setFrameU16(InternetChecksum.compute(out), at: 10)
        out.append(contentsOf: payload)
        return out
    }

    private func checkBuildable() throws(FrameError) {
        guard options.count % 4 == 0, options.count <= Self.maximumHeaderLength - Self.minimumHeaderLength else {
            throw FrameError(.badHeaderLength, "\(options.count) octets of options")
        }
        guard totalLength <= Self.maximumLength else {
            throw FrameError(.payloadTooLarge, "IPv4 total length \(totalLength) exceeds \(Self.maximumLength)")
        }
    }

    private func writeHeader(into out: inout [UInt8], checksum: UInt16) {
        out.append(0x40 | UInt8(truncatingIfNeeded: headerLength / 4) & 0x0f)
        out.append(typeOfService)
        out.appendFrameU16(UInt16(truncatingIfNeeded: totalLength))
        out.appendFrameU16(identification)
        out.appendFrameU16(UInt16(flags.rawValue & 0b111) << 13 | fragmentOffset & 0x1fff)
        out.append(timeToLive)
        out.append(protocolNumber.rawValue)
        out.appendFrameU16(checksum)
        out.appendFrameIPv4(source)
        out.appendFrameIPv4(destination)
        out.append(contentsOf: options)
    }
}
