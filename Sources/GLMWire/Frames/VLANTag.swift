/// One IEEE 802.1Q (or 802.1ad) VLAN tag: the tag protocol and the 16-bit tag
/// control information (priority, drop-eligible bit, VLAN identifier).
public struct VLANTag: Hashable, Sendable {
    /// 0x8100 for 802.1Q, 0x88a8 for an 802.1ad service tag.
    public var tagProtocol: EtherType
    /// The tag control information as on the wire.
    public var controlInformation: UInt16

    public init(tagProtocol: EtherType = .vlan, controlInformation: UInt16) {
        self.tagProtocol = tagProtocol
        self.controlInformation = controlInformation
    }

    /// A tag for VLAN `identifier` (0-4095; higher bits are dropped).
    public init(identifier: UInt16, priority: UInt8 = 0, dropEligible: Bool = false, tagProtocol: EtherType = .vlan) {
        self.tagProtocol = tagProtocol
        self.controlInformation = UInt16(priority & 0x7) << 13 | (dropEligible ? 0x1000 : 0) | (identifier & 0x0fff)
    }

    /// The VLAN identifier, 0-4095.
    public var identifier: UInt16 { controlInformation & 0x0fff }
    /// The priority code point, 0-7.
    public var priority: UInt8 { UInt8(controlInformation >> 13) }
    /// The drop-eligible indicator.
    public var dropEligible: Bool { controlInformation & 0x1000 != 0 }
}
