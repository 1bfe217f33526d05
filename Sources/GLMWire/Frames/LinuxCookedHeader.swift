/// The pseudo link-layer header Linux captures carry on the `any` device and on
/// interfaces without an Ethernet header: `LINKTYPE_LINUX_SLL` (version 1, 16
/// octets) or `LINKTYPE_LINUX_SLL2` (version 2, 20 octets), followed by the payload.
///
/// It records the direction (``packetType``), the device's ARPHRD type, the link
/// source address (up to 8 octets kept) and the protocol, an EtherType for the
/// usual devices. Version 2 adds the interface index.
public struct LinuxCookedHeader: Hashable, Sendable {
    /// Which of the two header layouts.
    public enum Version: Hashable, Sendable {
        /// `LINKTYPE_LINUX_SLL`: 16 octets.
        case v1
        /// `LINKTYPE_LINUX_SLL2`: 20 octets.
        case v2

        /// The header's length in octets.
        public var headerLength: Int { self == .v1 ? 16 : 20 }

        /// The link type of captures that use this layout.
        public var linkType: LinkType { self == .v1 ? .linuxCooked : .linuxCookedV2 }
    }

    /// Where the packet was going, as the kernel saw it.
    public struct PacketType: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// Sent to this host.
        public static let host = PacketType(rawValue: 0)
        public static let broadcast = PacketType(rawValue: 1)
        public static let multicast = PacketType(rawValue: 2)
        /// Sent by somebody to somebody else (seen in promiscuous mode).
        public static let otherHost = PacketType(rawValue: 3)
        /// Sent by this host.
        public static let outgoing = PacketType(rawValue: 4)
    }

    /// ARPHRD_ETHER.
    public static let ethernetHardwareType: UInt16 = 1
    /// ARPHRD_NONE, what a TUN device reports.
    public static let noHardwareType: UInt16 = 0xfffe

    public var version: Version
    public var packetType: PacketType
    /// The device's ARPHRD_ type (1 Ethernet, 772 loopback, 0xfffe none).
    public var hardwareType: UInt16
    /// The address length field as on the wire; may exceed the 8 octets kept.
    public var linkAddressLength: Int
    /// The 8-octet address field, first octet most significant.
    public var linkAddressField: UInt64
    /// The protocol: an EtherType for most devices; values below 0x0600 are Linux's
    /// own codes (e.g. 4 for 802.2 LLC).
    public var protocolType: EtherType
    /// The interface index (version 2; 0 in version 1).
    public var interfaceIndex: UInt32
    public var payload: ArraySlice<UInt8>

    /// Builds a header for an Ethernet device whose link address is `source` (or none).
    public init(version: Version, packetType: PacketType, source: MACAddress?, protocolType: EtherType,
                hardwareType: UInt16 = LinuxCookedHeader.ethernetHardwareType, interfaceIndex: UInt32 = 0,
                payload: some Sequence<UInt8>) {
        self.version = version
        self.packetType = packetType
        self.hardwareType = hardwareType
        self.linkAddressLength = source == nil ? 0 : 6
        self.linkAddressField = (source?.rawValue ?? 0) << 16
        self.protocolType = protocolType
        self.interfaceIndex = version == .v2 ? interfaceIndex : 0
        self.payload = ArraySlice(payload)
    }

    /// Reads a header of the given layout and takes the rest as payload.
    ///
    /// Throws ``FrameError/Code/truncated`` if the bytes are shorter than the header.
    public init(parsing bytes: ArraySlice<UInt8>, version: Version) throws(FrameError) {
        guard bytes.count >= version.headerLength else {
            throw .truncated("Linux cooked header \(version)", need: version.headerLength, have: bytes.count)
        }
        self.version = version
        switch version {
        case .v1:
            packetType = PacketType(rawValue: bytes.frameU16(0))
            hardwareType = bytes.frameU16(2)
            linkAddressLength = Int(bytes.frameU16(4))
            linkAddressField = UInt64(bytes.frameU32(6)) << 32 | UInt64(bytes.frameU32(10))
            protocolType = EtherType(rawValue: bytes.frameU16(14))
            interfaceIndex = 0
        case .v2:
            protocolType = EtherType(rawValue: bytes.frameU16(0))
            interfaceIndex = bytes.frameU32(4)
            hardwareType = bytes.frameU16(8)
            packetType = PacketType(rawValue: UInt16(bytes.frameU8(10)))
            linkAddressLength = Int(bytes.frameU8(11))
            linkAddressField = UInt64(bytes.frameU32(12)) << 32 | UInt64(bytes.frameU32(16))
        }
        payload = bytes.frameSlice(from: version.headerLength)
    }

    /// The link address octets actually present (at most 8).
    public var linkAddress: [UInt8] {
        (0..<max(0, min(linkAddressLength, 8))).map { UInt8(truncatingIfNeeded: linkAddressField >> (56 - 8 * UInt64($0))) }
    }

    /// The source MAC, when the link address is 6 octets long.
    public var sourceMAC: MACAddress? {
        linkAddressLength == 6 ? MACAddress(rawValue: linkAddressField >> 16) : nil
    }

    /// The header and payload octets.
    public func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(version.headerLength + payload.count)
        switch version {
        case .v1:
            out.appendFrameU16(packetType.rawValue)
            out.appendFrameU16(hardwareType)
            out.appendFrameU16(UInt16(clamping: linkAddressLength))
            out.appendFrameU32(UInt32(truncatingIfNeeded: linkAddressField >> 32))
            out.appendFrameU32(UInt32(truncatingIfNeeded: linkAddressField))
            out.appendFrameU16(protocolType.rawValue)
        case .v2:
            out.appendFrameU16(protocolType.rawValue)
            out.appendFrameU16(0)
            out.appendFrameU32(interfaceIndex)
            out.appendFrameU16(hardwareType)
            out.append(UInt8(truncatingIfNeeded: packetType.rawValue))
            out.append(UInt8(clamping: linkAddressLength))
            out.appendFrameU32(UInt32(truncatingIfNeeded: linkAddressField >> 32))
            out.appendFrameU32(UInt32(truncatingIfNeeded: linkAddressField))
        }
        out.append(contentsOf: payload)
        return out
    }
}
