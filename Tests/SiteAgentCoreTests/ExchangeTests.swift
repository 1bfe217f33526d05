import GLMWire
import HomeAgentCore
import NIOCore
import SiteAgentCore
import Testing

/// The site agent's core against the real home agent's core, and under a virtual clock.
@Suite("Site agent registration, refresh, refusals, revocation, restart")
struct ExchangeTests {
    let t = SiteHarness.start

    @Test("arrival → binding at the home agent → served; a move → BRI → torn down at the old site")
    func arrivalAndMove() throws {
        var h = SiteHarness()
        let sent = h.a.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm)), at: t)
        let first = h.deliver(sent, from: SiteHarness.siteA, at: t + 0.003)
        #expect(h.home.bindings[SiteHarness.vm]?.siteName == "site-a")
        let served = try #require(first.sites.served.first)
        #expect(served.address == IPv4Address(10, 10, 0, 50) && served.gateway == IPv4Address(10, 10, 0, 1))
        #expect(served.homeAgent == SiteHarness.home)
        #expect(h.a.served == [served])

        let moved = h.deliver(h.b.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm)), at: t + 10), from: SiteHarness.siteB, at: t + 10.003)
        #expect(h.home.bindings[SiteHarness.vm]?.siteName == "site-b")
        #expect(moved.sites.unserved == [served], "site A tears the VM down on the BRI")
        #expect(h.a.served.isEmpty && h.b.served.count == 1)
        #expect(moved.home.compactMap(\.notice).contains(.revocationAcknowledged(vm: SiteHarness.vm, site: "site-a", status: .success)))
    }

    @Test("a VM is served on the bridge it announced itself on; an announce on another bridge moves it there")
    func servedOnItsBridge() throws {
        var h = SiteHarness()
        let first = h.deliver(h.a.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm), bridge: "br-tenant"), at: t),
                              from: SiteHarness.siteA, at: t + 0.003)
        let served = try #require(first.sites.served.first)
        #expect(served.bridge == "br-tenant")

        // Moved to another bridge of the same host, after the settling time: re-registered
        // as a refresh, and served on the new bridge instead.
        let later = t + SiteAgentTimers().announceSettling + 1
        let moved = h.deliver(h.a.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm), bridge: "br0"), at: later),
                              from: SiteHarness.siteA, at: later + 0.003)
        #expect(moved.sites.unserved == [served])
        #expect(moved.sites.served.map(\.bridge) == ["br0"])
        #expect(h.home.bindings[SiteHarness.vm]?.siteName == "site-a")

        // A hook's `arrived` that names no bridge keeps the one the VM was last seen on.
        let atB = later + 10
        _ = h.b.handle(.frame(FrameBuilder.selfAnnounce(mac: SiteHarness.vm), bridge: "br-b"), at: atB)
        let hooked = h.deliver(h.b.handle(.arrived(SiteHarness.vm), at: atB + 0.001), from: SiteHarness.siteB, at: atB + 0.004)
        #expect(hooked.sites.served.map(\.bridge) == ["br-b"])
    }

    @Test("retransmissions double from the RTT-derived first timeout, each with a fresh Timestamp")
    func retransmissionSchedule() {
        var site = SiteAgentCore(policy: SiteHarness.sitePolicy(SiteHarness.siteA, SiteHarness.keyA), now: t)
        var sends = [(time: t, update: site.handle(.arrived(SiteHarness.vm), at: t).updates[0])]
        while sends.count < 8, let deadline = site.nextDeadline {
            if let update = site.handle(.timer, at: deadline).updates.first { sends.append((deadline, update)) }
        }
        let gaps = zip(sends.dropFirst(), sends).map { $0.time - $1.time }
        // Expected RTT 10 ms: RTO = 10 + 4 × 5 = 30 ms, then doubling.
        let expected = [0.030, 0.060, 0.120, 0.240, 0.480, 0.960, 1.920]
        for (gap, want) in zip(gaps, expected) { #expect(abs(gap - want) < 1e-6, "\(gaps)") }
        let stamps = sends.map { $0.update.options.timestamp! }
        #expect(zip(stamps.dropFirst(), stamps).allSatisfy { $0 > $1 }, "every retransmission is stamped anew")
        #expect(Set(sends.map(\.update.sequenceNumber)).count == 1)
        #expect(sends[0].update.options.handoffIndicator == .attachmentOverNewInterface)
    }

    @Test("the retransmission timeout stops at 32 s")
    func retransmissionCap() {
        var site = SiteAgentCore(policy: SiteHarness.sitePolicy(SiteHarness.siteA, SiteHarness.keyA), now: t)
        _ = site.handle(.arrived(SiteHarness.vm), at: t)
        var last = t
        var gap = 0.0
        for _ in 0..<20 {
            guard let deadline = site.nextDeadline else { break }
            if !site.handle(.timer, at: deadline).updates.isEmpty { gap = deadline - last; last = deadline }
        }
        #expect(gap == 32)
    }

    @Test("a measured round trip sets the next first timeout")
    func adaptiveTimeout() {
        var h = SiteHarness()
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t + 0.005)
        // One 5 ms sample replaces the 10 ms guess: RTO = 5 + 4 × 2.5 = 15 ms.
        #expect(abs(h.a.retransmissionTimeout(for: SiteHarness.home) - 0.015) < 1e-5)
    }

    /// Timers with heartbeats out of the way, for tests about registrations alone.
    static var quiet: SiteAgentTimers {
        var timers = SiteAgentTimers()
        timers.heartbeatInterval = 3600
        return timers
    }

    @Test("the binding is refreshed before its lifetime ends and stays served")
    func refresh() throws {
        var h = SiteHarness(timers: Self.quiet)
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t)
        let refreshAt = try #require(h.a.nextDeadline)
        #expect(abs(refreshAt - (t + 240)) < 1e-5, "80 % of the 300 s lifetime")
        let refreshed = h.deliver(h.a.handle(.timer, at: refreshAt), from: SiteHarness.siteA, at: refreshAt)
        #expect(refreshed.sites.notices.contains(.refreshed(SiteHarness.vm)))
        #expect(refreshed.sites.served.isEmpty && refreshed.sites.unserved.isEmpty)
        #expect(h.home.bindings[SiteHarness.vm]?.expiresAt == refreshAt + 300)
    }

    /// A PBA from the home agent, signed, answering the site's PBU in flight.
    func answer(_ site: inout SiteAgentCore, status: BindingAcknowledgementStatus, to pbu: ProxyBindingUpdate,
                options: [MobilityOption] = [], at time: Double) -> [SiteAgentAction] {
        let pba = ProxyBindingAcknowledgement(status: status, sequenceNumber: pbu.sequenceNumber, lifetimeUnits: 0,
                                              options: [.mobileNodeIdentifier(.eui48(SiteHarness.vm))] + options)
        let signer = MessageSigner(association: SiteHarness.keyA, scope: AuthenticationScope(sender: SiteHarness.home, receiver: SiteHarness.siteA))
        return site.handle(.datagram(try! MobilityHeader.encode(.proxyBindingAcknowledgement(pba), signer: signer),
                                     from: SiteHarness.home, port: 5436), at: time)
    }

    @Test("each refusing status: logged with the retry its cause calls for, nothing served", arguments: [
        (146, 60.0), (153, 60.0), (154, 60.0), (160, 60.0), (170, 60.0), (171, 60.0), (163, 60.0), (129, 60.0), (152, 60.0),
        (128, 0.060), (130, 0.060),
    ])
    func refusals(_ status: Int, _ retry: Double) throws {
        var site = SiteAgentCore(policy: SiteHarness.sitePolicy(SiteHarness.siteA, SiteHarness.keyA, timers: Self.quiet), now: t)
        let pbu = site.handle(.arrived(SiteHarness.vm), at: t).updates[0]
        let actions = answer(&site, status: BindingAcknowledgementStatus(rawValue: UInt8(status)), to: pbu, at: t + 0.01)
        #expect(actions.notices == [.refused(SiteHarness.vm, homeAgent: "home-1", status: BindingAcknowledgementStatus(rawValue: UInt8(status)), retryIn: retry)])
        #expect(actions.served.isEmpty && actions.updates.isEmpty)
        #expect(abs((site.nextDeadline ?? 0) - (t + 0.01 + retry)) < 1e-6)
        #expect(site.states[SiteHarness.vm] == .registering)
    }

    @Test("156 adopts the home agent's clock and retries at once; 157 retries at once")
    func timestampRefusals() throws {
        var site = SiteAgentCore(policy: SiteHarness.sitePolicy(SiteHarness.siteA, SiteHarness.keyA), now: t)
        let pbu = site.handle(.arrived(SiteHarness.vm), at: t).updates[0]
        let theirs = PMIPTimestamp(secondsSince1970: t + 5.01)!
        let retried = answer(&site, status: .timestampMismatch, to: pbu, options: [.timestamp(theirs)], at: t + 0.01)
        let again = try #require(retried.updates.first)
        #expect(abs(again.options.timestamp!.secondsSince1970 - (t + 5.01)) < 0.001, "stamped with the home agent's clock")
        #expect(again.sequenceNumber != pbu.sequenceNumber)
        let retried2 = answer(&site, status: .timestampLowerThanPreviouslyAccepted, to: again, at: t + 0.02)
        #expect(retried2.updates.count == 1)
    }

    @Test("a BRI for a VM not here is answered 128; for a VM here, torn down and 0")
    func revocation() throws {
        var h = SiteHarness()
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t)
        let signer = MessageSigner(association: SiteHarness.keyA, scope: AuthenticationScope(sender: SiteHarness.home, receiver: SiteHarness.siteA))
        func bri(_ mac: MACAddress) -> ByteBuffer {
            try! MobilityHeader.encode(.bindingRevocationIndication(BindingRevocationIndication(
                trigger: .administrativeReason, sequenceNumber: 9, options: [.mobileNodeIdentifier(.eui48(mac))])), signer: signer)
        }
        func braStatus(_ actions: [SiteAgentAction]) -> RevocationStatus? {
            for case .send(let bytes, _, _) in actions {
                if case .bindingRevocationAcknowledgement(let bra)? = try? MobilityHeader(decoding: bytes).message { return bra.status }
            }
            return nil
        }
        let unknown = h.a.handle(.datagram(bri(MACAddress(2, 0, 0, 0, 0, 7)), from: SiteHarness.home, port: 5436), at: t + 1)
        #expect(braStatus(unknown) == .bindingDoesNotExist)
        let known = h.a.handle(.datagram(bri(SiteHarness.vm), from: SiteHarness.home, port: 5436), at: t + 2)
        #expect(braStatus(known) == .success)
        #expect(known.unserved.count == 1 && h.a.served.isEmpty)
        // A forged BRI (wrong key) changes nothing.
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t + 3), from: SiteHarness.siteA, at: t + 3)
        let forger = MessageSigner(association: SecurityAssociation(spi: 0x101, key: Array(repeating: 9, count: 32))!,
                                   scope: AuthenticationScope(sender: SiteHarness.home, receiver: SiteHarness.siteA))
        let forged = try MobilityHeader.encode(.bindingRevocationIndication(BindingRevocationIndication(
            trigger: .administrativeReason, sequenceNumber: 10, options: [.mobileNodeIdentifier(.eui48(SiteHarness.vm))])), signer: forger)
        let ignored = h.a.handle(.datagram(forged, from: SiteHarness.home, port: 5436), at: t + 4)
        #expect(ignored.unserved.isEmpty && h.a.served.count == 1)
    }

    @Test("a home agent restart (new Restart Counter) makes the site register its VMs again")
    func homeAgentRestart() throws {
        var h = SiteHarness()
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t)
        let beat1 = h.deliver(h.a.handle(.timer, at: t + 60), from: SiteHarness.siteA, at: t + 60)
        #expect(beat1.sites.updates.isEmpty)
        // The home agent restarts: a new core, same policy, next counter, empty cache.
        h.home = HomeAgentCore(policy: h.home.policy, restartCounter: 2)
        let beat2 = h.deliver(h.a.handle(.timer, at: t + 120), from: SiteHarness.siteA, at: t + 120)
        #expect(beat2.sites.notices.contains(.homeAgentRestarted("home-1", restartCounter: 2)))
        #expect(h.home.bindings[SiteHarness.vm]?.siteName == "site-a", "re-registered with the restarted home agent")
    }

    @Test("departure de-registers and stops serving")
    func departure() {
        var h = SiteHarness()
        _ = h.deliver(h.a.handle(.arrived(SiteHarness.vm), at: t), from: SiteHarness.siteA, at: t)
        let left = h.a.handle(.departed(SiteHarness.vm), at: t + 5)
        #expect(left.unserved.count == 1)
        #expect(left.updates.first?.lifetimeUnits == 0)
        _ = h.deliver(left, from: SiteHarness.siteA, at: t + 5)
        #expect(h.home.bindings.isEmpty)
    }
}
