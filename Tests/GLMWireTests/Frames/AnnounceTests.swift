import GLMWire
import Testing

extension Frames {
    @Suite("Frames: hypervisor and guest announcements")
    struct AnnounceTests {
        @Test func qemuAnnounceParsesAsReverseRequestFromTheVM() throws {
            #expect(Frames.qemuAnnounce.count == 60)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: Frames.qemuAnnounce)
            #expect(packet.destinationMAC == .broadcast)
            #expect(packet.sourceMAC == Frames.vmMAC)
            #expect(packet.etherType == .reverseARP)
            let arp = try #require(packet.arp)
            #expect(arp.hardwareType == 1)
            #expect(arp.protocolType == .ipv4)
            #expect(arp.operation == .reverseRequest)
            #expect(arp.senderMAC == Frames.vmMAC)
            #expect(arp.targetMAC == Frames.vmMAC)
            #expect(arp.senderIPv4 == .any)
            #expect(arp.targetIPv4 == .any)
            #expect(arp.isSelfAnnounce)
            #expect(arp.isReverse)
            #expect(!arp.isGratuitous)
            #expect(packet.announcedMAC == Frames.vmMAC)
        }

        @Test func selfAnnounceBuilderIsQEMUsFrameExactly() {
            #expect(FrameBuilder.selfAnnounce(mac: Frames.vmMAC) == Frames.qemuAnnounce)
        }

        @Test func reverseRequestAboutAnotherMACIsNoSelfAnnounce() throws {
            let other = MACAddress(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc)
            let arp = ARPPacket(operation: .reverseRequest, senderMAC: Frames.vmMAC, senderIPv4: .any,
                                targetMAC: other, targetIPv4: .any)
            let frame = FrameBuilder.ethernet(arp, destination: .broadcast, source: Frames.vmMAC, padded: true)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: frame)
            #expect(packet.arp?.isSelfAnnounce == false)
            #expect(packet.announcedMAC == nil)
        }

        @Test func selfAnnounceUnderTheARPEtherTypeIsNoAnnounce() throws {
            let arp = ARPPacket.selfAnnounce(mac: Frames.vmMAC)
            let frame = EthernetFrame(destination: .broadcast, source: Frames.vmMAC, etherType: .arp,
                                      payload: arp.serialized()).serialized(padded: true)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: frame)
            #expect(packet.arp?.isSelfAnnounce == true)
            #expect(packet.announcedMAC == nil, "only EtherType 0x8035 carries the announce")
        }

        @Test func guestGratuitousARPAsCaptured() throws {
            // Frame 36 of the destination-bridge capture: the guest's own announcement.
            let frame = Frames.hex("""
                ffffffffffff 525400123456 0806 0001 0800 0604 0001
                525400123456 0a0a0032 000000000000 0a0a0032
                """)
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: frame)
            let arp = try #require(packet.arp)
            #expect(packet.etherType == .arp)
            #expect(arp.operation == .request)
            #expect(arp.isGratuitous)
            #expect(!arp.isProbe)
            #expect(arp.senderIPv4 == Frames.vmIPv4)
            #expect(arp == .gratuitous(mac: Frames.vmMAC, ipv4: Frames.vmIPv4))
            #expect(FrameBuilder.gratuitousARP(mac: Frames.vmMAC, ipv4: Frames.vmIPv4) == frame)
        }

        @Test func probeIsNotGratuitous() {
            let probe = ARPPacket.request(senderMAC: Frames.vmMAC, senderIPv4: .any, targetIPv4: Frames.vmIPv4)
            #expect(probe.isProbe)
            #expect(!probe.isGratuitous)
        }
    }
}
