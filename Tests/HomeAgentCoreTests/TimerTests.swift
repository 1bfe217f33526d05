import GLMWire
import HomeAgentCore
import NIOCore
import Testing

@Suite("Lifetimes, revocation retransmission, heartbeats, restart and reload")
struct TimerTests {
    let t = Harness.start

    @Test("a refresh extends; expiry removes after the MinDelayBeforeBCEDelete grace")
    func lifetimes() {
        var harness = Harness()
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t, lifetime: 25)), at: t)  // 100 s
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t + 90, lifetime: 25, handoff: .handoffStateNotChanged)), at: t + 90)
        #expect(harness.core.bindings[Harness.vm]?.expiresAt == t + 190)
        #expect(!harness.tick(at: t + 195).touchesBindings, "inside the grace the binding stays")
        #expect(harness.core.bindings[Harness.vm] != nil)
        let expired = harness.tick(at: t + 200.001)
        #expect(harness.core.bindings[Harness.vm] == nil)
        #expect(expired.notices.contains { if case .bindingRemoved(_, .expired) = $0 { true } else { false } })
        #expect(expired.contains { if case .detach = $0 { true } else { false } })
    }

    @Test("the lifetime granted is capped by policy")
    func lifetimeCap() {
        var timers = HomeAgentTimers()
        timers.maximumLifetime = 600
        var harness = Harness(timers: timers)
        let actions = harness.handle(harness.siteA.event(harness.siteA.update(at: t, lifetime: 1000)), at: t)
        #expect(actions.acknowledgements.first?.lifetimeSeconds == 600)
    }

    @Test("a BRI is retransmitted with doubling timeouts until the limit")
    func revocationBackoff() {
        var harness = Harness()
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        _ = harness.handle(harness.siteB.event(harness.siteB.update(at: t + 10)), at: t + 10)
        var sendTimes: [Double] = []
        var time = t + 10
        while time < t + 20 {
            time += 0.001
            if harness.core.nextDeadline.map({ $0 <= time }) == true {
                let due = harness.core.nextDeadline!
                let actions = harness.core.handle(.timer, at: due)
                if !actions.revocations.isEmpty { sendTimes.append(due - (t + 10)) }
                if actions.notices.contains(.revocationAbandoned(vm: Harness.vm, site: "site-a")) { break }
            }
        }
        // 0.25 s, then doubling: resent at 0.25, 0.75, 1.75, 3.75; abandoned at 7.75.
        #expect(sendTimes.count == 4)
        for (measured, expected) in zip(sendTimes, [0.25, 0.75, 1.75, 3.75]) {
            #expect(abs(measured - expected) < 0.002)
        }
        #expect(!harness.core.isRevocationPending(vm: Harness.vm, site: harness.siteA.address))
    }

    @Test("heartbeats: answered with our Restart Counter; a restarted or silent site is noticed")
    func heartbeats() throws {
        var harness = Harness(restartCounter: 42)
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        let request = harness.siteA.sign(.heartbeat(Heartbeat(sequenceNumber: 7)))
        let answer = harness.handle(harness.siteA.event(request), at: t + 1)
        guard case .heartbeat(let response) = try #require(answer.sent.first).message else { Issue.record("no heartbeat"); return }
        #expect(response.isResponse && response.sequenceNumber == 7 && response.options.restartCounter == 42)

        // Our own request after the interval, answered with Restart Counter 5, then 6.
        let first = harness.tick(at: t + 60)
        guard case .heartbeat(let ours) = try #require(first.sent.first).message else { Issue.record("no request"); return }
        #expect(!ours.isResponse)
        let reply1 = harness.siteA.sign(.heartbeat(Heartbeat(flags: [.response], sequenceNumber: ours.sequenceNumber, options: [.restartCounter(5)])))
        #expect(harness.handle(harness.siteA.event(reply1), at: t + 60.01).notices.isEmpty)
        let second = harness.tick(at: t + 120)
        guard case .heartbeat(let again) = try #require(second.sent.first).message else { Issue.record("no request"); return }
        let reply2 = harness.siteA.sign(.heartbeat(Heartbeat(flags: [.response], sequenceNumber: again.sequenceNumber, options: [.restartCounter(6)])))
        #expect(harness.handle(harness.siteA.event(reply2), at: t + 120.01).notices == [.peerRestarted(site: "site-a", restartCounter: 6)])
        // What `status` shows of the host: answered 10 ms after the request, counter 6.
        let host = try #require(harness.core.heartbeatedHosts.first)
        #expect(host.site == "site-a" && host.reachable && host.lastResponse == t + 120.01 && host.restartCounter == 6)
        #expect(abs((host.roundTrip ?? 0) - 0.01) < 1e-6, "\(String(describing: host.roundTrip))")

        // Then silence: after three unanswered requests the site is unreachable.
        var notices: [HomeAgentNotice] = []
        for minute in 3...6 {
            _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t + Double(minute) * 60 - 1, handoff: .handoffStateNotChanged)),
                               at: t + Double(minute) * 60 - 1)
            notices += harness.tick(at: t + Double(minute) * 60).notices
        }
        #expect(notices.contains(.peerUnreachable(site: "site-a", host: harness.siteA.address)))
        #expect(harness.core.heartbeatedHosts.map(\.reachable) == [false])

        // The VM moves on to site B: the dead host of site A, holding nothing now, is no
        // longer asked, and no longer listed (its site is not down for good).
        let move = t + 6 * 60 + 1
        _ = harness.handle(harness.siteB.event(harness.siteB.update(at: move)), at: move)
        var askedOfA = 0
        for minute in 7...10 {
            let sent = harness.tick(at: t + Double(minute) * 60).sent
            askedOfA += sent.filter { sent in
                if case .heartbeat = sent.message { sent.to == harness.siteA.address } else { false }
            }.count
        }
        #expect(askedOfA == 0, "heartbeats to a dead host that holds nothing")
        #expect(harness.core.heartbeatedHosts.map(\.address) == [harness.siteB.address])
    }

    @Test("restored bindings come back with their data plane; ones the policy dropped go")
    func restore() {
        var harness = Harness()
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        _ = harness.handle(harness.siteA.event(harness.siteA.update(Harness.tenantVM, at: t, flags: [.acknowledge, .proxy, .tlvHeaderFormat])), at: t)
        let saved = Array(harness.core.bindings.values)
        #expect(saved.count == 2)

        // After a restart with a policy that no longer has the tenant VM.
        var restarted = HomeAgentCore(policy: Harness.policy(sites: [harness.siteA, harness.siteB], vms: [
            VMPolicy(mac: Harness.vm, address: Harness.vmAddress, prefixLength: 24, gateway: Harness.gateway)]), restartCounter: 2)
        let actions = restarted.restore(saved, at: t + 5)
        #expect(restarted.bindings.keys.sorted() == [Harness.vm])
        #expect(actions.contains { if case .attach(let away) = $0 { away.vm == Harness.vm } else { false } })
        #expect(actions.contains { if case .unpersist(Harness.tenantVM) = $0 { true } else { false } })
        // The restored binding still refuses a replay of an older update and still expires.
        #expect(restarted.nextDeadline != nil)
    }

    @Test("restored bindings expire in the order of their lifetimes, each when its grace ends, however they were stored")
    func restoredExpireInOrder() {
        let count = 500
        let site = Harness.makeSite("site-a", 1, spi: 0x101)
        let vms = (0..<count).map { index in
            VMPolicy(mac: MACAddress(rawValue: 0x5254_0001_0000 + UInt64(index))!,
                     address: IPv4Address(rawValue: 0x0a0a_0000 + UInt32(index) + 1), prefixLength: 16, gateway: Harness.gateway)
        }
        var core = HomeAgentCore(policy: Harness.policy(sites: [site], vms: vms), restartCounter: 2)
        var generator = SystemRandomNumberGenerator()
        let restored = vms.map { vm in
            let expiresAt = t + Double.random(in: 1...1000, using: &generator).rounded()
            return Binding(vm: vm.mac, homeAddress: vm.address, siteName: "site-a", siteAddress: site.address, sitePort: 5436,
                           timestamp: PMIPTimestamp(secondsSince1970: t)!, sequenceNumber: 1, lifetime: expiresAt - t,
                           registeredAt: t, expiresAt: expiresAt, framing: .bare)
        }.shuffled()
        _ = core.restore(restored, at: t)
        let grace = HomeAgentTimers().minDelayBeforeDelete
        var removed: [(vm: MACAddress, at: Double)] = []
        while let due = core.nextDeadline, due <= t + 2000 {
            for case .notice(.bindingRemoved(let binding, .expired)) in core.handle(.timer, at: due) {
                removed.append((binding.vm, due))
            }
        }
        #expect(removed.count == count)
        let expiry = Dictionary(uniqueKeysWithValues: restored.map { ($0.vm, $0.expiresAt) })
        #expect(removed.allSatisfy { $0.at == expiry[$0.vm]! + grace }, "each removed when its grace ends")
        #expect(zip(removed, removed.dropFirst()).allSatisfy { $0.at <= $1.at }, "in the order of their expiries")
    }

    @Test("a reload keeps bindings the new policy allows and revokes the rest")
    func reload() {
        var harness = Harness()
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        _ = harness.handle(harness.siteB.event(harness.siteB.update(Harness.vm, at: t + 5)), at: t + 5)
        let kept = harness.core.reload(Harness.policy(sites: [harness.siteA, harness.siteB, harness.siteC]), at: t + 6)
        #expect(!kept.touchesBindings)
        let dropped = harness.core.reload(Harness.policy(sites: [harness.siteA, harness.siteB], vms: [
            VMPolicy(mac: Harness.vm, address: Harness.vmAddress, prefixLength: 24, gateway: Harness.gateway, allowedSites: ["site-a"])]), at: t + 7)
        #expect(harness.core.bindings.isEmpty)
        #expect(dropped.revocations.first?.0.trigger == .administrativeReason)
        #expect(dropped.revocations.first?.1 == harness.siteB.address)
    }
}
