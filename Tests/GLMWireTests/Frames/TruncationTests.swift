import GLMWire
import Testing

extension Frames {
    @Suite("Frames: every truncated prefix is refused with a typed error")
    struct TruncationTests {
        /// Frames whose every octet is needed, with the link type to decode them under.
        static func completeFrames() throws -> [(String, LinkType, [UInt8])] {
            let ip = try Frames.signalingPacket()
            let arp = ARPPacket.reply(senderMAC: Frames.vmMAC, senderIPv4: Frames.vmIPv4,
                                      targetMAC: Frames.bridgeMAC, targetIPv4: Frames.gatewayIPv4)
            return [
                ("Ethernet/IPv4/UDP", .ethernet, try Frames.signalingFrame()),
                ("Ethernet/VLAN/IPv4/UDP", .ethernet, try Frames.signalingFrame(vlan: VLANTag(identifier: 10))),
                ("raw IPv4/UDP", .rawIP, ip),
                ("LINKTYPE_IPV4", .ipv4, ip),
                ("SLL/IPv4/UDP", .linuxCooked,
                 FrameBuilder.linuxCooked(.v1, packetType: .host, source: Frames.vmMAC, etherType: .ipv4, payload: ip)),
                ("SLL2/IPv4/UDP", .linuxCookedV2,
                 FrameBuilder.linuxCooked(.v2, packetType: .host, source: Frames.vmMAC, etherType: .ipv4, payload: ip)),
                ("SLL/VLAN/IPv4/UDP", .linuxCooked,
                 FrameBuilder.linuxCooked(.v1, packetType: .host, source: Frames.vmMAC, etherType: .vlan,
                                          payload: [0, 5, 0x08, 0x00] + ip)),
                ("Ethernet/ARP", .ethernet, FrameBuilder.ethernet(arp, destination: Frames.bridgeMAC, source: Frames.vmMAC)),
                ("Ethernet/RARP announce (without padding)", .ethernet, Array(Frames.qemuAnnounce.prefix(42))),
                ("SLL2/ARP", .linuxCookedV2,
                 FrameBuilder.linuxCooked(.v2, packetType: .broadcast, source: Frames.vmMAC, etherType: .arp,
                                          payload: arp.serialized())),
            ]
        }

        @Test func everyPrefixOfEveryFrameIsRefused() throws {
            for (name, linkType, frame) in try Self.completeFrames() {
                #expect(throws: Never.self, "\(name) whole") {
                    _ = try LinkLayerPacket(linkType: linkType, frame: frame)
                }
                for length in 0..<frame.count {
                    let prefix = frame.prefix(length)
                    let error = #expect(throws: FrameError.self, "\(name) cut to \(length)") {
                        _ = try LinkLayerPacket(linkType: linkType, frame: prefix)
                    }
                    if let error {
                        #expect(error.code == .truncated || error.code == .totalLengthMismatch
                                    || error.code == .badUDPLength,
                                "\(name) cut to \(length): \(error)")
                    }
                }
            }
        }

        @Test func ipv4PrefixesGiveTheExpectedCodes() throws {
            let ip = try Frames.signalingPacket()
            for length in 0..<ip.count {
                let expected: FrameError.Code = length < 20 ? .truncated : .totalLengthMismatch
                Frames.expectFrameError(expected) { _ = try IPv4Packet(parsing: ip.prefix(length)) }
            }
        }

        @Test func udpPrefixesGiveTheExpectedCodes() throws {
            let udp = Array(try IPv4Packet(parsing: try Frames.signalingPacket()).payload)
            for length in 0..<udp.count {
                let expected: FrameError.Code = length < 8 ? .truncated : .badUDPLength
                Frames.expectFrameError(expected) { _ = try UDPDatagram(parsing: udp.prefix(length)) }
            }
        }

        @Test func headerPrefixesAreTruncated() throws {
            let arp = ARPPacket.selfAnnounce(mac: Frames.vmMAC).serialized()
            for length in 0..<ARPPacket.length {
                Frames.expectFrameError(.truncated) { _ = try ARPPacket(parsing: arp.prefix(length)) }
            }
            let tagged = try Frames.signalingFrame(vlan: VLANTag(identifier: 1))
            for length in 0..<18 {
                Frames.expectFrameError(.truncated) { _ = try EthernetFrame(parsing: tagged.prefix(length)) }
            }
            for version in [LinuxCookedHeader.Version.v1, .v2] {
                let cooked = FrameBuilder.linuxCooked(version, packetType: .host, source: nil,
                                                      etherType: .ipv4, payload: [])
                #expect(cooked.count == version.headerLength)
                for length in 0..<version.headerLength {
                    Frames.expectFrameError(.truncated) {
                        _ = try LinuxCookedHeader(parsing: cooked.prefix(length), version: version)
                    }
                }
            }
        }
    }
}
