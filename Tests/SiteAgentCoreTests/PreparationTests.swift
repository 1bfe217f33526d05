import GLMWire
import HomeAgentCore
import NIOCore
import SiteAgentCore
import Testing

/// Make-before-break at the destination, against the real home agent core: `incoming`
/// sends a marked PBU, the accepting PBA serves the VM before it arrives, the announce
/// completes an ordinary handoff without serving it twice; `aborted` and the
/// preparation's lifetime undo it.
@Suite("Preparations at the site agent")
struct SitePreparationTests {
    let t = SiteHarness.start

    /// Site A holds the VM; site B prepares.
    func arrivedAtA() -> SiteHarness {
        var h = SiteHarness()
        _ = h.deliver(h.a.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm)), at: t), from: SiteHarness.siteA, at: t + 0.003)
        return h
    }

    @Test("incoming → prepared and served at B, bicast at home; the announce completes the handoff without serving twice")
    func incomingThenArrival() throws {
        var h = arrivedAtA()
        let sent = h.b.handle(.incoming(SiteHarness.vm, bridge: "br0"), at: t + 10)
        let pbu = try #require(sent.updates.first)
        #expect(pbu.options.isPreparation && pbu.lifetimeUnits == 15)
        let prepared = h.deliver(sent, from: SiteHarness.siteB, at: t + 10.003)
        #expect(prepared.home.contains { if case .prepare = $0 { true } else { false } }, "the home agent bicasts")
        let served = try #require(prepared.sites.served.first)
        #expect(served.address == IPv4Address(10, 10, 0, 50) && served.bridge == "br0")
        #expect(h.b.states[SiteHarness.vm] == .prepared(served))
        #expect(h.home.bindings[SiteHarness.vm]?.siteName == "site-a", "the binding has not moved")

        let arrival = h.deliver(h.b.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm), bridge: "br0"), at: t + 11),
                                from: SiteHarness.siteB, at: t + 11.003)
        #expect(h.home.bindings[SiteHarness.vm]?.siteName == "site-b")
        #expect(arrival.sites.served.isEmpty, "already served since the preparation")
        #expect(arrival.sites.unserved.count == 1 && h.a.served.isEmpty, "site A tears down on the BRI")
        #expect(h.b.states[SiteHarness.vm] == .served(served))
        #expect(h.home.preparations.isEmpty)
        #expect(arrival.home.contains { if case .unprepare = $0 { true } else { false } }, "the bicast ends")
    }

    @Test("aborted: the preparation and the serving state go; the VM stays where it is")
    func incomingThenAborted() throws {
        var h = arrivedAtA()
        _ = h.deliver(h.b.handle(.incoming(SiteHarness.vm), at: t + 10), from: SiteHarness.siteB, at: t + 10.003)
        let aborted = h.b.handle(.aborted(SiteHarness.vm), at: t + 12)
        #expect(aborted.unserved.count == 1)
        let withdrawal = try #require(aborted.updates.first)
        #expect(withdrawal.lifetimeUnits == 0 && withdrawal.options.isPreparation)
        _ = h.deliver(aborted, from: SiteHarness.siteB, at: t + 12.003)
        #expect(h.home.preparations.isEmpty && h.home.bindings[SiteHarness.vm]?.siteName == "site-a")
        #expect(h.b.states.isEmpty)
        #expect(h.b.handle(.aborted(SiteHarness.vm), at: t + 13).isEmpty, "nothing left to abort")
    }

    @Test("a preparation the VM never follows ends with its lifetime, here and at the home agent")
    func incomingThenTimeout() throws {
        var h = arrivedAtA()
        _ = h.deliver(h.b.handle(.incoming(SiteHarness.vm), at: t + 10), from: SiteHarness.siteB, at: t + 10.003)
        var unserved = 0
        while let deadline = h.b.nextDeadline, deadline < t + 100 {
            unserved += h.b.handle(.timer, at: deadline).unserved.count
            if h.b.states.isEmpty { break }
        }
        #expect(unserved == 1 && h.b.states.isEmpty)
        while let deadline = h.home.nextDeadline, deadline < t + 100 { _ = h.home.handle(.timer, at: deadline) }
        #expect(h.home.preparations.isEmpty && h.home.bindings[SiteHarness.vm]?.siteName == "site-a")
    }

    @Test("incoming for a VM already here changes nothing")
    func incomingWhenAlreadyHere() {
        var h = arrivedAtA()
        #expect(h.a.handle(.incoming(SiteHarness.vm), at: t + 5).isEmpty)
    }
}
