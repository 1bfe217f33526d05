import GLMWire
import HomeAgentCore
import NIOCore
import SiteAgentCore
import Testing

/// A reloaded configuration (SIGHUP) handed to the site agent's core.
@Suite("Site agent reload")
struct ReloadTests {
    let t = SiteHarness.start
    static let otherHome = IPv4Address(198, 18, 8, 2)
    static let otherKey = SecurityAssociation(spi: 0x201, key: Array(repeating: 0xc3, count: 32))!

    @Test("a new key for the same home agent keeps the VM served and signs the next PBU with it")
    func newKeyKeepsServing() throws {
        var h = SiteHarness()
        let first = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t + 0.003)
        let served = try #require(first.sites.served.first)
        let rekeyed = SecurityAssociation(spi: 0x111, key: Array(repeating: 0x5a, count: 32))!
        #expect(h.a.reload(SiteHarness.sitePolicy(SiteHarness.siteA, rekeyed), at: t + 1).isEmpty)
        #expect(h.a.served == [served])

        // The refresh goes out signed with the new association.
        let deadline = try #require(h.a.nextDeadline)
        let refresh = h.a.handle(.timer, at: deadline)
        let header = try #require(refresh.compactMap { action -> MobilityHeader? in
            guard case .send(let bytes, _, _) = action else { return nil }
            return try? MobilityHeader(decoding: bytes)
        }.first)
        #expect(header.authentication?.spi == 0x111)
    }

    @Test("a VM now listed under another home agent is released at the old one and registered at the new")
    func vmMovedToAnotherHomeAgent() throws {
        var h = SiteHarness()
        let first = h.deliver(h.a.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm), bridge: "br0"), at: t),
                              from: SiteHarness.siteA, at: t + 0.003)
        let served = try #require(first.sites.served.first)
        let policy = try SiteAgentPolicy(address: SiteHarness.siteA, homeAgents: [
            HomeAgentPeer(name: "home-1", address: SiteHarness.home, association: SiteHarness.keyA, vms: []),
            HomeAgentPeer(name: "home-2", address: Self.otherHome, association: Self.otherKey, vms: [SiteHarness.vm]),
        ])
        let actions = h.a.reload(policy, at: t + 5)
        #expect(actions.unserved == [served])
        let sends = actions.compactMap { action -> (IPv4Address, ProxyBindingUpdate)? in
            guard case .send(let bytes, let to, _) = action, let header = try? MobilityHeader(decoding: bytes),
                  case .proxyBindingUpdate(let pbu) = header.message else { return nil }
            return (to, pbu)
        }
        #expect(sends.map(\.0) == [SiteHarness.home, Self.otherHome])
        #expect(sends.first?.1.lifetimeUnits == 0, "deregistered at the home agent that no longer anchors it")
        #expect(sends.last.map { $0.1.lifetimeUnits > 0 } == true)
        #expect(h.a.states[SiteHarness.vm] == .registering)

        // The old home agent takes the deregistration: the binding goes.
        _ = h.deliver(actions.filter { if case .send(_, let to, _) = $0 { to == SiteHarness.home } else { false } },
                      from: SiteHarness.siteA, at: t + 5.003)
        #expect(h.home.bindings[SiteHarness.vm] == nil)
    }

    @Test("a VM whose home agent leaves the configuration is released and asked of the home agents left")
    func homeAgentRemoved() throws {
        var h = SiteHarness()
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t + 0.003)
        let other = IPv4Address(198, 18, 9, 2)
        let policy = try SiteAgentPolicy(address: SiteHarness.siteA, homeAgents: [
            HomeAgentPeer(name: "home-9", address: other, association: SiteHarness.keyB)])
        let actions = h.a.reload(policy, at: t + 5)
        #expect(actions.unserved.count == 1)
        #expect(actions.compactMap(\.notice).first == .released(SiteHarness.vm))
        #expect(actions.compactMap { if case .send(_, let to, _) = $0 { to } else { nil } } == [other],
                "the removed home agent is not told; the one left is asked")
        #expect(h.a.states[SiteHarness.vm] == .registering)
    }

    @Test("a VM whose hint is dropped from the configuration stays with the anchor that accepted it")
    func hintDropped() throws {
        var h = SiteHarness()
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t + 0.003)
        let policy = try SiteAgentPolicy(address: SiteHarness.siteA, homeAgents: [
            HomeAgentPeer(name: "home-1", address: SiteHarness.home, association: SiteHarness.keyA, vms: [])])
        #expect(h.a.reload(policy, at: t + 5).isEmpty)
        #expect(h.a.served.map(\.vm) == [SiteHarness.vm])
        #expect(h.a.anchor(of: SiteHarness.vm)?.name == "home-1")
    }
}
