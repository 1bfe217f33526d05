/// A captured frame decoded through its link-layer header down to what the agents
/// act on: ARP and RARP (arrivals, proxy ARP) and IPv4/UDP (signaling, tunnel).
///
/// Handles Ethernet (with one VLAN tag), Linux cooked v1 and v2, raw IP and
/// `LINKTYPE_IPV4`. Protocols it does not decode (IPv6, LLC, ...) come back as
/// ``Content/other(_:)`` rather than as errors; a protocol it does decode that is
/// malformed is an error. Nothing is copied: every payload is a slice of the input.
public struct LinkLayerPacket: Hashable, Sendable {
    /// The link-layer header the frame came with.
    public enum Link: Hashable, Sendable {
        case ethernet(EthernetFrame)
        case linuxCooked(LinuxCookedHeader)
        /// No link header: the frame is an IP packet.
        case rawIP
    }

    /// What the frame carries.
    public enum Content: Hashable, Sendable {
        /// ARP (EtherType 0x0806) or RARP (0x8035); ``LinkLayerPacket/etherType`` says which.
        case arp(ARPPacket)
        /// An unfragmented IPv4 packet carrying UDP.
        case udp(IPv4Packet, UDPDatagram)
        /// Any other IPv4 packet, including every fragment of a UDP datagram.
        case ipv4(IPv4Packet)
        /// A protocol this decoder does not read; the octets after the link header.
        case other(ArraySlice<UInt8>)
    }

    /// The capture's link type the frame was decoded under.
    public var linkType: LinkType
    /// The link-layer header, with the octets after it.
    public var link: Link
    /// The VLAN tag, when the frame carried one.
    public var vlan: VLANTag?
    /// The protocol after the link header (and VLAN tag); nil for raw IP.
    public var etherType: EtherType?
    /// The decoded network-layer content.
    public var content: Content

    /// Decodes a frame of a capture of `linkType`.
    ///
    /// Throws ``FrameError/Code/unsupportedLinkType`` for link types other than
    /// those ``LinkType/isSupported`` names, and the errors of ``EthernetFrame``,
    /// ``LinuxCookedHeader``, ``ARPPacket``, ``IPv4Packet`` and ``UDPDatagram`` for
    /// malformed frames. UDP checksums are not verified (see
    /// ``UDPDatagram/hasValidChecksum(source:destination:)``); IPv4 header checksums
    /// are unless `verifyingIPv4Checksum` is false.
    public init(linkType: LinkType, frame: ArraySlice<UInt8>, verifyingIPv4Checksum: Bool = true) throws(FrameError) {
        self.linkType = linkType
        self.vlan = nil
        if linkType == .ethernet {
            let ethernet = try EthernetFrame(parsing: frame)
            link = .ethernet(ethernet)
            vlan = ethernet.vlan
            etherType = ethernet.etherType
            content = try Self.decode(etherType: ethernet.etherType, payload: ethernet.payload,
                                      verifyingIPv4Checksum: verifyingIPv4Checksum)
        } else if linkType == .linuxCooked || linkType == .linuxCookedV2 {
            let header = try LinuxCookedHeader(parsing: frame, version: linkType == .linuxCooked ? .v1 : .v2)
            link = .linuxCooked(header)
            var type = header.protocolType
            var payload = header.payload
            if type.isVLANTag {
                guard payload.count >= EthernetFrame.vlanTagLength else {
                    throw .truncated("VLAN tag after Linux cooked header", need: EthernetFrame.vlanTagLength,
                                     have: payload.count)
                }
                vlan = VLANTag(tagProtocol: type, controlInformation: payload.frameU16(0))
                type = EtherType(rawValue: payload.frameU16(2))
                payload = payload.frameSlice(from: EthernetFrame.vlanTagLength)
            }
            etherType = type
            content = try Self.decode(etherType: type, payload: payload, verifyingIPv4Checksum: verifyingIPv4Checksum)
        } else if linkType.isRawIP || linkType == .ipv4 {
            link = .rawIP
            etherType = nil
            guard let first = frame.first else {
                throw .truncated("raw IP packet", need: 1, have: 0)
            }
            if first >> 4 == 4 {
                content = try Self.decodeIPv4(frame, verifyingChecksum: verifyingIPv4Checksum)
            } else if linkType == .ipv4 {
                throw FrameError(.notIPv4, "LINKTYPE_IPV4 frame with version \(first >> 4)")
            } else {
                content = .other(frame)
            }
        } else {
            throw FrameError(.unsupportedLinkType, "link type \(linkType.rawValue)")
        }
    }

    /// Decodes a frame held in a whole array.
    public init(linkType: LinkType, frame: [UInt8], verifyingIPv4Checksum: Bool = true) throws(FrameError) {
        try self.init(linkType: linkType, frame: frame[...], verifyingIPv4Checksum: verifyingIPv4Checksum)
    }

    private static func decode(etherType: EtherType, payload: ArraySlice<UInt8>,
                               verifyingIPv4Checksum: Bool) throws(FrameError) -> Content {
        switch etherType {
        case .arp, .reverseARP:
            return .arp(try ARPPacket(parsing: payload))
        case .ipv4:
            return try decodeIPv4(payload, verifyingChecksum: verifyingIPv4Checksum)
        default:
            return .other(payload)
        }
    }

    private static func decodeIPv4(_ bytes: ArraySlice<UInt8>, verifyingChecksum: Bool) throws(FrameError) -> Content {
        let packet = try IPv4Packet(parsing: bytes, verifyingChecksum: verifyingChecksum)
        guard packet.protocolNumber == .udp, !packet.isFragment else {
            return .ipv4(packet)
        }
        return .udp(packet, try UDPDatagram(parsing: packet.payload))
    }
}

extension LinkLayerPacket {
    /// The sender's MAC: the Ethernet source, or a cooked header's 6-octet address.
    public var sourceMAC: MACAddress? {
        switch link {
        case .ethernet(let frame): frame.source
        case .linuxCooked(let header): header.sourceMAC
        case .rawIP: nil
        }
    }

    /// The Ethernet destination; nil for other link types.
    public var destinationMAC: MACAddress? {
        if case .ethernet(let frame) = link { return frame.destination }
        return nil
    }

    /// The ARP or RARP packet, if that is what the frame carries.
    public var arp: ARPPacket? {
        if case .arp(let packet) = content { return packet }
        return nil
    }

    /// The IPv4 packet, if the frame carries one (with or without UDP).
    public var ipv4: IPv4Packet? {
        switch content {
        case .udp(let packet, _), .ipv4(let packet): packet
        case .arp, .other: nil
        }
    }

    /// The UDP datagram, if the frame carries an unfragmented one.
    public var udp: UDPDatagram? {
        if case .udp(_, let datagram) = content { return datagram }
        return nil
    }

    /// The VM a hypervisor announces with this frame: set when the frame is a RARP
    /// (EtherType 0x8035) self-announce, a reverse request about its own sender MAC.
    public var announcedMAC: MACAddress? {
        guard etherType == .reverseARP, let arp, arp.isSelfAnnounce else { return nil }
        return arp.senderMAC
    }
}
