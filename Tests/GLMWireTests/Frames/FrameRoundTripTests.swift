import GLMWire
import Testing

extension Frames {
    @Suite("Frames: every builder round-trips through its parser")
    struct FrameRoundTripTests {
        @Test(arguments: [nil, VLANTag(identifier: 42, priority: 5, dropEligible: true)])
        func ethernetIPv4UDP(vlan: VLANTag?) throws {
            let frame = try Frames.signalingFrame(vlan: vlan)
            #expect(frame.count == 14 + (vlan == nil ? 0 : 4) + 20 + 8 + Frames.payload.count)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: frame)
            #expect(packet.destinationMAC == Frames.bridgeMAC)
            #expect(packet.sourceMAC == Frames.vmMAC)
            #expect(packet.vlan == vlan)
            #expect(packet.etherType == .ipv4)
            guard case .udp(let ip, let udp) = packet.content else {
                Issue.record("expected UDP, got \(packet.content)")
                return
            }
            #expect(ip.source == Frames.siteIPv4)
            #expect(ip.destination == Frames.homeIPv4)
            #expect(ip.protocolNumber == .udp)
            #expect(ip.timeToLive == 64)
            #expect(ip.identification == 0x1234)
            #expect(ip.flags == .dontFragment)
            #expect(ip.fragmentOffset == 0)
            #expect(ip.totalLength == 20 + 8 + Frames.payload.count)
            #expect(ip.hasValidHeaderChecksum)
            #expect(udp.sourcePort == Frames.signalingPort)
            #expect(udp.destinationPort == Frames.signalingPort)
            #expect(udp.length == 8 + Frames.payload.count)
            #expect(udp.checksum != 0)
            #expect(udp.hasValidChecksum(source: ip.source, destination: ip.destination))
            #expect(!udp.hasValidChecksum(source: ip.destination, destination: Frames.vmIPv4))
            #expect(Array(udp.payload) == Frames.payload)
        }

        @Test func paddedFrameDropsThePadding() throws {
            let frame = try FrameBuilder.ethernetIPv4UDP(
                destinationMAC: Frames.bridgeMAC, sourceMAC: Frames.vmMAC, source: Frames.siteIPv4,
                destination: Frames.homeIPv4, sourcePort: 1, destinationPort: 2, payload: [0xab], padded: true)
            #expect(frame.count == 60)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: frame)
            #expect(packet.ipv4?.totalLength == 29)
            #expect(packet.udp.map { Array($0.payload) } == [0xab])
        }

        @Test(arguments: [LinkType.rawIP, .rawIPDLT12, .rawIPDLT14, .ipv4])
        func rawIPv4UDP(linkType: LinkType) throws {
            let bytes = try Frames.signalingPacket()
            let packet = try LinkLayerPacket(linkType: linkType, frame: bytes)
            #expect(packet.link == .rawIP)
            #expect(packet.etherType == nil)
            #expect(packet.sourceMAC == nil)
            #expect(packet.udp.map { Array($0.payload) } == Frames.payload)
            // The raw packet is exactly the Ethernet frame's payload.
            #expect(Array(try Frames.signalingFrame().dropFirst(14)) == bytes)
        }

        @Test func rawIPv6IsOtherContent() throws {
            let bytes: [UInt8] = [0x60] + [UInt8](repeating: 0, count: 39)
            let packet = try LinkLayerPacket(linkType: .rawIP, frame: bytes)
            #expect(packet.content == .other(bytes[...]))
        }

        @Test(arguments: [LinuxCookedHeader.Version.v1, .v2])
        func linuxCookedIPv4UDP(version: LinuxCookedHeader.Version) throws {
            let ip = try Frames.signalingPacket()
            let frame = FrameBuilder.linuxCooked(version, packetType: .outgoing, source: Frames.vmMAC,
                                                 etherType: .ipv4, interfaceIndex: 7, payload: ip)
            #expect(frame.count == version.headerLength + ip.count)
            let packet = try LinkLayerPacket(linkType: version.linkType, frame: frame)
            guard case .linuxCooked(let header) = packet.link else {
                Issue.record("expected a cooked header, got \(packet.link)")
                return
            }
            #expect(header.version == version)
            #expect(header.packetType == .outgoing)
            #expect(header.hardwareType == LinuxCookedHeader.ethernetHardwareType)
            #expect(header.linkAddressLength == 6)
            #expect(header.linkAddress == Frames.vmMAC.octets)
            #expect(header.interfaceIndex == (version == .v2 ? 7 : 0))
            #expect(packet.sourceMAC == Frames.vmMAC)
            #expect(packet.etherType == .ipv4)
            #expect(packet.udp.map { Array($0.payload) } == Frames.payload)
            #expect(header.serialized() == frame)
        }

        @Test func linuxCookedWithVLANTag() throws {
            let ip = try Frames.signalingPacket()
            let tagged = [0x20, 0x07, 0x08, 0x00] + ip
            let frame = FrameBuilder.linuxCooked(.v1, packetType: .host, source: Frames.bridgeMAC,
                                                 etherType: .vlan, payload: tagged)
            let packet = try LinkLayerPacket(linkType: .linuxCooked, frame: frame)
            #expect(packet.vlan == VLANTag(identifier: 7, priority: 1))
            #expect(packet.etherType == .ipv4)
            #expect(packet.udp != nil)
        }

        @Test func linuxCookedARP() throws {
            let arp = ARPPacket.reply(senderMAC: Frames.vmMAC, senderIPv4: Frames.vmIPv4,
                                      targetMAC: Frames.bridgeMAC, targetIPv4: Frames.gatewayIPv4)
            let frame = FrameBuilder.linuxCooked(.v2, packetType: .host, source: Frames.vmMAC,
                                                 etherType: .arp, payload: arp.serialized())
            let packet = try LinkLayerPacket(linkType: .linuxCookedV2, frame: frame)
            #expect(packet.arp == arp)
        }

        @Test func arpReply() throws {
            // A proxy-ARP answer: the home agent's MAC for the VM's address.
            let frame = FrameBuilder.arpReply(senderMAC: Frames.bridgeMAC, senderIPv4: Frames.vmIPv4,
                                              targetMAC: Frames.vmMAC, targetIPv4: Frames.gatewayIPv4)
            #expect(frame.count == 42)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: frame)
            #expect(packet.destinationMAC == Frames.vmMAC)
            #expect(packet.sourceMAC == Frames.bridgeMAC)
            #expect(packet.etherType == .arp)
            #expect(packet.arp == .reply(senderMAC: Frames.bridgeMAC, senderIPv4: Frames.vmIPv4,
                                         targetMAC: Frames.vmMAC, targetIPv4: Frames.gatewayIPv4))
            #expect(packet.arp?.isGratuitous == false)
            let padded = FrameBuilder.arpReply(senderMAC: Frames.bridgeMAC, senderIPv4: Frames.vmIPv4,
                                               targetMAC: Frames.vmMAC, targetIPv4: Frames.gatewayIPv4, padded: true)
            #expect(padded.count == 60)
            #expect(try LinkLayerPacket(linkType: .ethernet, frame: padded).arp == packet.arp)
        }

        @Test func gratuitousARP() throws {
            let frame = FrameBuilder.gratuitousARP(mac: Frames.vmMAC, ipv4: Frames.vmIPv4, padded: true)
            #expect(frame.count == 60)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: frame)
            #expect(packet.destinationMAC == .broadcast)
            #expect(packet.arp?.isGratuitous == true)
            #expect(packet.arp?.senderIPv4 == Frames.vmIPv4)
        }

        @Test func arpPacketValues() throws {
            let samples: [ARPPacket] = [
                .request(senderMAC: Frames.bridgeMAC, senderIPv4: Frames.gatewayIPv4, targetIPv4: Frames.vmIPv4),
                .reply(senderMAC: Frames.vmMAC, senderIPv4: Frames.vmIPv4,
                       targetMAC: Frames.bridgeMAC, targetIPv4: Frames.gatewayIPv4),
                .gratuitous(mac: Frames.vmMAC, ipv4: Frames.vmIPv4),
                .selfAnnounce(mac: Frames.vmMAC),
                ARPPacket(operation: .reverseReply, senderMAC: Frames.bridgeMAC, senderIPv4: Frames.gatewayIPv4,
                          targetMAC: Frames.vmMAC, targetIPv4: Frames.vmIPv4, hardwareType: 6),
            ]
            for arp in samples {
                let bytes = arp.serialized()
                #expect(bytes.count == ARPPacket.length)
                #expect(try ARPPacket(parsing: bytes) == arp)
            }
        }

        @Test func ethernetFrameValue() throws {
            let frame = EthernetFrame(destination: .broadcast, source: Frames.vmMAC, etherType: EtherType(rawValue: 0x88b5),
                                      vlan: VLANTag(identifier: 4095, tagProtocol: .serviceVLAN), payload: [1, 2, 3])
            let bytes = frame.serialized()
            #expect(bytes.count == 18 + 3)
            #expect(try EthernetFrame(parsing: bytes) == frame)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: bytes)
            #expect(packet.content == .other([1, 2, 3]))
        }

        @Test func ipv4PacketWithOptionsAndFragmentFields() throws {
            let packet = try IPv4Packet(source: Frames.siteIPv4, destination: Frames.homeIPv4, protocolNumber: .gre,
                                        payload: Frames.payload, timeToLive: 3, identification: 0xbeef,
                                        flags: .moreFragments, fragmentOffset: 0x1abc, typeOfService: 0xb8,
                                        options: [0x94, 0x04, 0x00, 0x00])
            let bytes = try packet.serialized()
            #expect(bytes.count == 24 + Frames.payload.count)
            #expect(bytes[0] == 0x46)
            let parsed = try IPv4Packet(parsing: bytes)
            #expect(parsed == packet)
            #expect(parsed.isFragment)
            #expect(Array(parsed.options) == [0x94, 0x04, 0x00, 0x00])
            // A fragment is not decoded as UDP, even when its protocol says UDP.
            var fragment = packet
            fragment.protocolNumber = .udp
            let decoded = try LinkLayerPacket(linkType: .rawIP, frame: try fragment.serialized())
            #expect(decoded.udp == nil)
            #expect(decoded.ipv4?.protocolNumber == .udp)
        }

        @Test func changedFieldsSerializeWithAFreshChecksum() throws {
            var packet = try IPv4Packet(parsing: try Frames.signalingPacket())
            packet.timeToLive -= 1
            #expect(!packet.hasValidHeaderChecksum)
            let reparsed = try IPv4Packet(parsing: try packet.serialized())
            #expect(reparsed.timeToLive == 63)
            #expect(reparsed.hasValidHeaderChecksum)
        }

        @Test func udpDatagramValues() throws {
            let datagram = try UDPDatagram(sourcePort: 40000, destinationPort: 5437, payload: Frames.payload,
                                           source: Frames.siteIPv4, destination: Frames.homeIPv4)
            let bytes = try datagram.serialized(source: Frames.siteIPv4, destination: Frames.homeIPv4)
            #expect(try UDPDatagram(parsing: bytes) == datagram)

            let unchecked = try UDPDatagram(sourcePort: 1, destinationPort: 2, payload: [9, 9, 9])
            #expect(unchecked.checksum == 0)
            let uncheckedBytes = try unchecked.serializedWithoutChecksum()
            #expect(uncheckedBytes == [0, 1, 0, 2, 0, 11, 0, 0, 9, 9, 9])
            let parsed = try UDPDatagram(parsing: uncheckedBytes)
            #expect(parsed == unchecked)
            #expect(parsed.hasValidChecksum(source: Frames.siteIPv4, destination: Frames.homeIPv4))
        }

        @Test func udpChecksumOfZeroIsSentAsAllOnes() throws {
            // Find a two-octet payload whose checksum computes to zero (RFC 768: send 0xffff).
            var found: UDPDatagram?
            for word in 0...UInt16.max {
                let candidate = try UDPDatagram(sourcePort: 5436, destinationPort: 5436,
                                                payload: [UInt8(word >> 8), UInt8(truncatingIfNeeded: word)])
                var sum = InternetChecksum()
                sum.add(Frames.siteIPv4)
                sum.add(Frames.homeIPv4)
                sum.add(word: 17)
                sum.add(word: 10)
                sum.add(try candidate.serializedWithoutChecksum())
                if sum.value == 0 {
                    found = candidate
                    break
                }
            }
            let datagram = try #require(found)
            #expect(datagram.computedChecksum(source: Frames.siteIPv4, destination: Frames.homeIPv4) == 0xffff)
            let bytes = try datagram.serialized(source: Frames.siteIPv4, destination: Frames.homeIPv4)
            #expect(bytes[6] == 0xff && bytes[7] == 0xff)
            let parsed = try UDPDatagram(parsing: bytes)
            #expect(parsed.hasValidChecksum(source: Frames.siteIPv4, destination: Frames.homeIPv4))
        }
    }
}
