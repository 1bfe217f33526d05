import GLMWire
import PacketCapture
import SiteAgentCore
import Testing

@Suite("Arrival detection on the real QEMU capture")
struct ArrivalTests {
    /// Replays the capture's frames into a site agent at their captured times.
    func replay(_ frames: [CapturedPacket], into site: inout SiteAgentCore) -> [SiteAgentAction] {
        frames.flatMap { site.handle(.frame($0.bytes), at: $0.timestamp.timeIntervalSince1970) }
    }

    @Test("five RARP announces and the guest's gratuitous ARPs make one registration")
    func oneMigrationOneRegistration() throws {
        let frames = try PcapFileReader(path: SiteHarness.qemuCapture).readAll()
        var site = SiteAgentCore(policy: SiteHarness.sitePolicy(SiteHarness.siteA, SiteHarness.keyA),
                                 now: frames[0].timestamp.timeIntervalSince1970)
        let actions = replay(frames, into: &site)
        let updates = actions.updates
        #expect(updates.count == 1, "one PBU, sent on the first announce")
        let pbu = try #require(updates.first)
        #expect(pbu.flags.contains(.proxy) && pbu.flags.contains(.acknowledge))
        #expect(pbu.options.mobileNodeIdentifier == .eui48(SiteHarness.vm))
        #expect(pbu.options.handoffIndicator == .handoffBetweenMAGs)
        #expect(pbu.options.accessTechnologyType == .virtual)
        #expect(pbu.options.ipv4HomeAddressRequest == IPv4HomeAddressRequest())
        #expect(pbu.options.timestamp != nil)
        #expect(actions.notices.filter { if case .announceSeen = $0 { true } else { false } }.count == 1)
    }

    @Test("the same capture without its announces registers nothing")
    func nonAnnounceTraffic() throws {
        let frames = try PcapFileReader(path: SiteHarness.qemuCapture).readAll().filter { packet in
            (try? LinkLayerPacket(linkType: .ethernet, frame: packet.bytes))?.announcedMAC == nil
        }
        #expect(frames.count == 152)
        var site = SiteAgentCore(policy: SiteHarness.sitePolicy(SiteHarness.siteA, SiteHarness.keyA),
                                 now: frames[0].timestamp.timeIntervalSince1970)
        #expect(replay(frames, into: &site).isEmpty)
    }

    @Test("an announce from a MAC no configuration lists is registered with the home agents")
    func unlistedMAC() {
        var site = SiteAgentCore(policy: SiteHarness.sitePolicy(SiteHarness.siteA, SiteHarness.keyA), now: SiteHarness.start)
        let actions = site.handle(.frame(FrameBuilder.selfAnnounce(mac: MACAddress(2, 0, 0, 0, 0, 1))), at: SiteHarness.start)
        #expect(actions.updates.count == 1)
        #expect(site.states[MACAddress(2, 0, 0, 0, 0, 1)] == .registering)
    }
}

extension Array where Element == SiteAgentAction {
    var notices: [SiteAgentNotice] { compactMap(\.notice) }
}
