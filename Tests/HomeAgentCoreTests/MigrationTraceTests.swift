import GLMWire
import HomeAgentCore
import NIOCore
import Testing

/// Replayed captures of whole migrations, checked against the binding cache and the
/// actions at every step.
@Suite("Migration traces replayed through the home agent core")
struct MigrationTraceTests {
    @Test("home → A → B → C → home: created, moved twice with revocations, removed on the home announce")
    func grandTour() throws {
        var harness = Harness()
        var trace = Trace()
        let t = Harness.start
        trace.add(harness.siteA.update(at: t, handoff: .attachmentOverNewInterface), from: harness.siteA, at: t + 0.003)
        trace.add(harness.siteB.update(at: t + 10), from: harness.siteB, at: t + 10.003)
        trace.add(harness.siteA.sign(.bindingRevocationAcknowledgement(BindingRevocationAcknowledgement(
            status: .success, sequenceNumber: 1, options: [.mobileNodeIdentifier(.eui48(Harness.vm))]))), from: harness.siteA, at: t + 10.010)
        trace.add(harness.siteC.update(at: t + 20), from: harness.siteC, at: t + 20.003)
        trace.add(harness.siteB.sign(.bindingRevocationAcknowledgement(BindingRevocationAcknowledgement(
            status: .success, sequenceNumber: 2, options: [.mobileNodeIdentifier(.eui48(Harness.vm))]))), from: harness.siteB, at: t + 20.010)
        trace.addHomeAnnounce(Harness.vm, at: t + 30)
        let steps = try trace.replay(into: &harness)
        try #require(steps.count == 6)

        // Home → A: created, persisted, attached, then the PBA with address and gateway.
        let created = steps[0]
        let pba = try #require(created.acknowledgements.first)
        #expect(pba.status == .accepted)
        #expect(pba.options.ipv4HomeAddressReply?.address == Harness.vmAddress)
        #expect(pba.options.ipv4HomeAddressReply?.prefixLength == 24)
        #expect(pba.options.ipv4DefaultRouterAddress == Harness.gateway)
        #expect(pba.lifetimeSeconds == 300)
        let persisted = try #require(created.index { if case .persist = $0 { true } else { false } })
        let sent = try #require(created.index { if case .send = $0 { true } else { false } })
        #expect(persisted < sent, "the binding is durable before the PBA announces it")
        #expect(created.contains { if case .attach(let away) = $0 { away.siteAddress == harness.siteA.address } else { false } })

        // A → B: moved, PBA to B, then a BRI (trigger 2) to A; A's BRA ends it.
        let moved = steps[1]
        #expect(moved.acknowledgements.first?.status == .accepted)
        #expect(moved.contains { if case .move(let away) = $0 { away.siteAddress == harness.siteB.address } else { false } })
        let bri = try #require(moved.revocations.first)
        #expect(bri.1 == harness.siteA.address)
        #expect(bri.0.trigger == .interMAGHandoverSameAccessType)
        #expect(bri.0.options.mobileNodeIdentifier == .eui48(Harness.vm))
        let pbaIndex = try #require(moved.index { if case .send(_, let to, _) = $0 { to == harness.siteB.address } else { false } })
        let briIndex = try #require(moved.index { if case .send(_, let to, _) = $0 { to == harness.siteA.address } else { false } })
        #expect(pbaIndex < briIndex)
        #expect(steps[2].notices.contains(.revocationAcknowledged(vm: Harness.vm, site: "site-a", status: .success)))

        // B → C.
        #expect(steps[3].revocations.first?.1 == harness.siteB.address)
        #expect(steps[4].notices.contains(.revocationAcknowledged(vm: Harness.vm, site: "site-b", status: .success)))
        #expect(steps[3].notices.contains { if case .bindingMoved(let b, "site-b", _) = $0 { b.siteName == "site-c" } else { false } })

        // C → home: the announce on the home LAN removes the binding and revokes C.
        let home = steps[5]
        #expect(harness.core.bindings[Harness.vm] == nil)
        #expect(home.contains { if case .unpersist(Harness.vm) = $0 { true } else { false } })
        #expect(home.contains { if case .detach(let away) = $0 { away.siteAddress == harness.siteC.address } else { false } })
        #expect(home.revocations.first?.1 == harness.siteC.address)
        #expect(home.notices.contains { if case .bindingRemoved(_, .cameHome) = $0 { true } else { false } })
    }

    @Test("the old site's late refresh and late de-registration never take the binding back")
    func lateUpdatesFromThePreviousSite() throws {
        var harness = Harness()
        var trace = Trace()
        let t = Harness.start
        trace.add(harness.siteA.update(at: t), from: harness.siteA, at: t + 0.003)
        // A's refresh timer fired just as the VM moved: its refresh carries a *newer* timestamp
        // than B's registration but arrives after it.
        let lateRefresh = harness.siteA.update(at: t + 10.002, handoff: .handoffStateNotChanged)
        let lateDeregistration = harness.siteA.update(at: t + 10.004, lifetime: 0, handoff: .handoffStateNotChanged)
        trace.add(harness.siteB.update(at: t + 10.001), from: harness.siteB, at: t + 10.004)
        trace.add(lateRefresh, from: harness.siteA, at: t + 10.006)
        trace.add(lateDeregistration, from: harness.siteA, at: t + 10.008)
        // And an update older than B's, delayed in the WAN.
        trace.add(harness.siteA.update(at: t + 10.0005), from: harness.siteA, at: t + 10.009)
        let steps = try trace.replay(into: &harness)

        #expect(harness.core.bindings[Harness.vm]?.siteName == "site-b")
        for step in steps[2...] {
            #expect(!step.touchesBindings)
        }
        #expect(steps[2].notices.contains(.staleUpdateIgnored(vm: Harness.vm, site: "site-a", current: "site-b")))
        #expect(steps[2].acknowledgements.first?.lifetimeUnits == 0, "the stale site is told it holds nothing")
        #expect(steps[3].notices.contains(.staleUpdateIgnored(vm: Harness.vm, site: "site-a", current: "site-b")))
        #expect(steps[4].acknowledgements.first?.status == .timestampLowerThanPreviouslyAccepted)
    }

    @Test("QEMU's five announces: one move, one revocation, refreshes after")
    func duplicateUpdatesFromOneMigration() throws {
        var harness = Harness()
        var trace = Trace()
        let t = Harness.start
        trace.add(harness.siteA.update(at: t), from: harness.siteA, at: t + 0.003)
        for (index, offset) in [0.0, 0.050, 0.200, 0.450, 0.800].enumerated() {
            let handoff: HandoffIndicator = index == 0 ? .handoffBetweenMAGs : .handoffStateNotChanged
            trace.add(harness.siteB.update(at: t + 10 + offset, handoff: handoff), from: harness.siteB, at: t + 10.003 + offset)
        }
        let steps = try trace.replay(into: &harness)
        let allActions = steps.flatMap { $0 }
        #expect(Set(allActions.revocations.map(\.0.sequenceNumber)).count == 1, "one revocation (retransmitted until acknowledged)")
        #expect(allActions.filter { if case .move = $0 { true } else { false } }.count == 1)
        #expect(steps[1...].allSatisfy { $0.acknowledgements.first?.status == .accepted })
        #expect(harness.core.bindings[Harness.vm]?.siteName == "site-b")
    }

    @Test("a forged, a replayed and an out-of-window PBU change nothing")
    func forgedReplayedStale() throws {
        var harness = Harness()
        var trace = Trace()
        let t = Harness.start
        let genuine = harness.siteA.update(at: t)
        trace.add(genuine, from: harness.siteA, at: t + 0.003)
        // Forged: B's address, signed with a key that is not B's.
        let wrongKey = SecurityAssociation(spi: 0x102, key: Array(repeating: 0xee, count: 32))!
        trace.add(harness.siteB.update(at: t + 5, key: wrongKey), from: harness.siteB, at: t + 5.003)
        // Replayed: A's genuine PBU, captured and sent again within the window.
        trace.add(genuine, from: harness.siteA, at: t + 0.100)
        // Out of the 300 ms window: stamped a second before it arrives.
        trace.add(harness.siteB.update(at: t + 6), from: harness.siteB, at: t + 7)
        let steps = try trace.replay(into: &harness)
        try #require(steps.count == 4)
        let before = harness.core.bindings
        #expect(before[Harness.vm]?.siteName == "site-a")
        // In capture order: the replay (t + 0.1), the forgery (t + 5), the stale update (t + 7).
        #expect(steps[1].acknowledgements.first?.status == .timestampLowerThanPreviouslyAccepted)
        #expect(steps[2].acknowledgements.first?.status == .authenticationFailed)
        #expect(steps[3].acknowledgements.first?.status == .timestampMismatch)
        for step in steps[1...] {
            #expect(!step.touchesBindings)
        }
    }
}
