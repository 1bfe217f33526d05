/// The link-layer header type of a capture: a pcap `LINKTYPE_` value.
///
/// Only the types whose frames ``LinkLayerPacket`` decodes have names here; any other
/// value can still be carried. Raw IP appears under three numbers: `LINKTYPE_RAW`
/// (101) in files, and `DLT_RAW`, which libpcap reports as 12 (14 on OpenBSD);
/// ``isRawIP`` accepts all three.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// `LINKTYPE_ETHERNET`: Ethernet II / 802.3 frames, without the FCS.
    public static let ethernet = LinkType(rawValue: 1)
    /// `LINKTYPE_RAW`: a bare IPv4 or IPv6 packet, told apart by its version nibble.
    public static let rawIP = LinkType(rawValue: 101)
    /// `DLT_RAW` as most platforms number it; raw IP.
    public static let rawIPDLT12 = LinkType(rawValue: 12)
    /// `DLT_RAW` as OpenBSD numbers it; raw IP.
    public static let rawIPDLT14 = LinkType(rawValue: 14)
    /// `LINKTYPE_LINUX_SLL`: the Linux "cooked" header, version 1 (16 octets).
    public static let linuxCooked = LinkType(rawValue: 113)
    /// `LINKTYPE_LINUX_SLL2`: the Linux "cooked" header, version 2 (20 octets).
    public static let linuxCookedV2 = LinkType(rawValue: 276)
    /// `LINKTYPE_IPV4`: a bare IPv4 packet.
    public static let ipv4 = LinkType(rawValue: 228)

    /// Whether frames are bare IP packets (IPv4 or IPv6) with no link header.
    public var isRawIP: Bool {
        self == .rawIP || self == .rawIPDLT12 || self == .rawIPDLT14
    }

    /// Whether ``LinkLayerPacket`` can decode frames of this type.
    public var isSupported: Bool {
        isRawIP || self == .ethernet || self == .linuxCooked || self == .linuxCookedV2 || self == .ipv4
    }

    public var description: String {
        switch self {
        case .ethernet: "ethernet"
        case .rawIP, .rawIPDLT12, .rawIPDLT14: "raw-ip(\(rawValue))"
        case .linuxCooked: "linux-sll"
        case .linuxCookedV2: "linux-sll2"
        case .ipv4: "ipv4"
        default: "linktype(\(rawValue))"
        }
    }
}
