import GLMWire

/// The first look at a captured frame: is it a hypervisor's announce, and from which
/// MAC. Only announces need their ingress port checked; everything else goes straight
/// to the core.
enum LocalAnnounce {
    /// The announced MAC when `frame` is an Ethernet RARP announce.
    static func sourceIfAnnounce(_ frame: [UInt8]) -> MACAddress? {
        guard frame.count >= 14, frame[12] == 0x80, frame[13] == 0x35 else { return nil }
        return try? LinkLayerPacket(linkType: .ethernet, frame: frame).announcedMAC
    }
}
