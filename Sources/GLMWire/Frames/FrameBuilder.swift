/// Ready-to-send frames, as octets: the ones the tests write into captures and the
/// agents put on a wire (proxy-ARP replies, announces, signaling over raw links).
///
/// Every checksum is computed: IPv4 header, and UDP over the pseudo-header.
public enum FrameBuilder {
    /// An IPv4 packet carrying one UDP datagram (no options, DF set).
    ///
    /// Throws ``FrameError/Code/payloadTooLarge`` past
    /// ``UDPDatagram/maximumPayloadLength`` octets of payload.
    public static func ipv4UDP(source: IPv4Address, destination: IPv4Address,
                               sourcePort: UInt16, destinationPort: UInt16,
                               payload: some Sequence<UInt8>,
                               timeToLive: UInt8 = 64, identification: UInt16 = 0) throws(FrameError) -> [UInt8] {
        let datagram = try UDPDatagram(sourcePort: sourcePort, destinationPort: destinationPort, payload: payload,
                                       source: source, destination: destination)
        let packet = try IPv4Packet(source: source, destination: destination, protocolNumber: .udp,
                                    payload: try datagram.serialized(source: source, destination: destination),
                                    timeToLive: timeToLive, identification: identification)
        return try packet.serialized()
    }

    /// An Ethernet frame (EtherType IPv4, optionally VLAN-tagged) carrying an IPv4
    /// packet carrying one UDP datagram; `padded` brings a short frame up to 60 octets.
    public static func ethernetIPv4UDP(destinationMAC: MACAddress, sourceMAC: MACAddress, vlan: VLANTag? = nil,
                                       source: IPv4Address, destination: IPv4Address,
                                       sourcePort: UInt16, destinationPort: UInt16,
                                       payload: some Sequence<UInt8>,
                                       timeToLive: UInt8 = 64, identification: UInt16 = 0,
                                       padded: Bool = false) throws(FrameError) -> [UInt8] {
        let packet = try ipv4UDP(source: source, destination: destination, sourcePort: sourcePort,
                                 destinationPort: destinationPort, payload: payload,
                                 timeToLive: timeToLive, identification: identification)
        return EthernetFrame(destination: destinationMAC, source: sourceMAC, etherType: .ipv4, vlan: vlan,
                             payload: packet).serialized(padded: padded)
    }

    /// An ARP or RARP packet in an Ethernet frame of the matching EtherType
    /// (``ARPPacket/etherType``); `padded` brings it from 42 to 60 octets.
    public static func ethernet(_ arp: ARPPacket, destination: MACAddress, source: MACAddress,
                                padded: Bool = false) -> [UInt8] {
        EthernetFrame(destination: destination, source: source, etherType: arp.etherType,
                      payload: arp.serialized()).serialized(padded: padded)
    }

    /// An ARP reply from `senderMAC`, unicast to `targetMAC`: "`senderIPv4` is at
    /// `senderMAC`". A proxy-ARP answer puts its own MAC beside the address it covers.
    public static func arpReply(senderMAC: MACAddress, senderIPv4: IPv4Address,
                                targetMAC: MACAddress, targetIPv4: IPv4Address,
                                padded: Bool = false) -> [UInt8] {
        ethernet(.reply(senderMAC: senderMAC, senderIPv4: senderIPv4, targetMAC: targetMAC, targetIPv4: targetIPv4),
                 destination: targetMAC, source: senderMAC, padded: padded)
    }

    /// A broadcast gratuitous ARP (RFC 5227 announcement form) claiming `ipv4` for `mac`.
    public static func gratuitousARP(mac: MACAddress, ipv4: IPv4Address, padded: Bool = false) -> [UInt8] {
        ethernet(.gratuitous(mac: mac, ipv4: ipv4), destination: .broadcast, source: mac, padded: padded)
    }

    /// QEMU's self-announce for `mac`: the 60-octet broadcast RARP reverse request
    /// that net/announce.c sends after a migration (18 zero octets of padding).
    public static func selfAnnounce(mac: MACAddress) -> [UInt8] {
        ethernet(.selfAnnounce(mac: mac), destination: .broadcast, source: mac, padded: true)
    }

    /// A Linux cooked (SLL or SLL2) frame from an Ethernet device, as libpcap
    /// records it on the `any` device.
    public static func linuxCooked(_ version: LinuxCookedHeader.Version, packetType: LinuxCookedHeader.PacketType,
                                   source: MACAddress?, etherType: EtherType, interfaceIndex: UInt32 = 0,
                                   payload: some Sequence<UInt8>) -> [UInt8] {
        LinuxCookedHeader(version: version, packetType: packetType, source: source, protocolType: etherType,
                          interfaceIndex: interfaceIndex, payload: payload).serialized()
    }
}
