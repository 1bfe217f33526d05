/// The 16-bit protocol type of an Ethernet payload (also the ARP protocol type
/// and the Linux cooked header's protocol field).
///
/// Values below 0x0600 in an Ethernet frame are an 802.3 length, not a type.
public struct EtherType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let ipv4 = EtherType(rawValue: 0x0800)
    public static let arp = EtherType(rawValue: 0x0806)
    /// Reverse ARP (RFC 903); QEMU's and ESXi's post-migration announce uses it.
    public static let reverseARP = EtherType(rawValue: 0x8035)
    /// An IEEE 802.1Q VLAN tag follows.
    public static let vlan = EtherType(rawValue: 0x8100)
    /// An IEEE 802.1ad service (outer) VLAN tag follows.
    public static let serviceVLAN = EtherType(rawValue: 0x88a8)
    /// IEEE 802 Local Experimental Ethertype 1: frames that mean nothing to any host.
    public static let localExperimental = EtherType(rawValue: 0x88b5)
    public static let ipv6 = EtherType(rawValue: 0x86dd)

    /// Whether this value names a protocol (at least 0x0600) rather than an 802.3 length.
    public var isProtocolType: Bool { rawValue >= 0x0600 }

    /// Whether a VLAN tag (802.1Q or 802.1ad) follows.
    public var isVLANTag: Bool { self == .vlan || self == .serviceVLAN }

    public var description: String {
        let hex = String(rawValue, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
