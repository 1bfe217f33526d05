import GLMWire
import HomeAgentCore
import NIOCore
import Testing

/// Make-before-break at the home agent (`Docs/protocol.md` §9): a site's prepare PBU
/// adds a prepared endpoint — bicast, the binding untouched — which the VM's arrival
/// completes, an abort or its lifetime ends, and a newer preparation replaces.
@Suite("Preparations at the home agent")
struct PreparationTests {
    let t = Harness.start

    typealias SiteKey = WritableKeyPath<Harness, Harness.Site>

    static func prepareOptions(at time: Double) -> [MobilityOption] {
        [.mobileNodeIdentifier(.eui48(Harness.vm)), .handoffIndicator(.handoffBetweenMAGs), .accessTechnologyType(.virtual),
         .timestamp(PMIPTimestamp(secondsSince1970: time)!), .vendorSpecific(.prepare), .ipv4HomeAddressRequest(IPv4HomeAddressRequest())]
    }

    /// A PBU from `site`, marked as a preparation, with `lifetime` units.
    func prepare(_ h: inout Harness, from site: SiteKey, lifetime: UInt16 = 15, at time: Double,
                 key: SecurityAssociation? = nil) -> [HomeAgentAction] {
        let bytes = h[keyPath: site].update(at: time, lifetime: lifetime, options: Self.prepareOptions(at: time), key: key)
        return h.handle(h[keyPath: site].event(bytes), at: time)
    }

    /// The site's ordinary PBU after the VM's announce there.
    func arrive(_ h: inout Harness, at site: SiteKey, time: Double) -> [HomeAgentAction] {
        let bytes = h[keyPath: site].update(at: time)
        return h.handle(h[keyPath: site].event(bytes), at: time)
    }

    @Test("prepare then arrive: bicast while prepared, the binding moves only on the arrival, then an ordinary handoff")
    func prepareThenArrive() throws {
        var h = Harness()
        _ = arrive(&h, at: \.siteA, time: t)
        let prepared = prepare(&h, from: \.siteB, at: t + 10)
        #expect(prepared.prepared.map(\.siteAddress) == [h.siteB.address])
        #expect(h.core.bindings[Harness.vm]?.siteName == "site-a", "a preparation never moves the binding")
        let pba = try #require(prepared.acknowledgements.first)
        #expect(pba.status == .accepted && pba.options.isPreparation)
        #expect(pba.options.ipv4HomeAddressReply?.address == Harness.vmAddress && pba.options.ipv4DefaultRouterAddress != nil)
        #expect(!prepared.contains { if case .persist = $0 { true } else { false } })

        let arrived = arrive(&h, at: \.siteB, time: t + 11)
        #expect(h.core.bindings[Harness.vm]?.siteName == "site-b")
        #expect(arrived.unprepared.map(\.siteAddress) == [h.siteB.address], "the bicast ends")
        #expect(arrived.compactMap(\.notice).contains { if case .preparationEnded(_, .completed) = $0 { true } else { false } })
        #expect(arrived.revocations.count == 1, "the old site is revoked as in any handoff")
        #expect(!(try #require(arrived.acknowledgements.first)).options.isPreparation)
        #expect(h.core.preparations.isEmpty)
    }

    @Test("prepare then abort: the preparation goes, the binding stays")
    func prepareThenAbort() {
        var h = Harness()
        _ = arrive(&h, at: \.siteA, time: t)
        _ = prepare(&h, from: \.siteB, at: t + 1)
        // Only the preparing site may withdraw it.
        let foreign = prepare(&h, from: \.siteA, lifetime: 0, at: t + 1.5)
        #expect(foreign.unprepared.isEmpty && h.core.preparations[Harness.vm] != nil)
        let aborted = prepare(&h, from: \.siteB, lifetime: 0, at: t + 2)
        #expect(aborted.unprepared.map(\.siteAddress) == [h.siteB.address])
        #expect(h.core.preparations.isEmpty && h.core.bindings[Harness.vm]?.siteName == "site-a")
    }

    @Test("prepare then time out: dropped at its lifetime's end, the binding untouched")
    func prepareThenTimeOut() throws {
        var h = Harness()
        _ = arrive(&h, at: \.siteA, time: t)
        _ = prepare(&h, from: \.siteB, lifetime: 5, at: t + 1)  // 20 s
        let deadline = try #require(h.core.nextDeadline)
        #expect(h.handle(.timer, at: t + 20).unprepared.isEmpty, "not yet")
        let expired = h.handle(.timer, at: t + 21.001)
        #expect(expired.unprepared.map(\.siteAddress) == [h.siteB.address], "deadline \(deadline)")
        #expect(h.core.preparations.isEmpty && h.core.bindings[Harness.vm]?.siteName == "site-a")
    }

    @Test("two preparations racing: the newer one stands, the older one's bicast ends")
    func racingPreparations() {
        var h = Harness()
        _ = arrive(&h, at: \.siteA, time: t)
        _ = prepare(&h, from: \.siteB, at: t + 1)
        let second = prepare(&h, from: \.siteC, at: t + 1.1)
        #expect(second.unprepared.map(\.siteAddress) == [h.siteB.address])
        #expect(second.prepared.map(\.siteAddress) == [h.siteC.address])
        #expect(h.core.preparations[Harness.vm]?.siteName == "site-c")
        // The displaced site's arrival is an ordinary handoff; the standing preparation stays.
        _ = arrive(&h, at: \.siteB, time: t + 2)
        #expect(h.core.bindings[Harness.vm]?.siteName == "site-b" && h.core.preparations[Harness.vm]?.siteName == "site-c")
    }

    @Test("the current site's refresh during a preparation leaves it alone")
    func refreshDuringPreparation() {
        var h = Harness()
        _ = arrive(&h, at: \.siteA, time: t)
        _ = prepare(&h, from: \.siteB, at: t + 1)
        let refresh = h.siteA.update(at: t + 2, handoff: .handoffStateNotChanged)
        let refreshed = h.handle(h.siteA.event(refresh), at: t + 2)
        #expect(refreshed.unprepared.isEmpty)
        #expect(h.core.preparations[Harness.vm]?.siteName == "site-b" && h.core.bindings[Harness.vm]?.siteName == "site-a")
    }

    @Test("a forged or replayed prepare is refused and changes nothing")
    func forgedOrReplayed() {
        var h = Harness()
        _ = arrive(&h, at: \.siteA, time: t)
        let forger = SecurityAssociation(spi: h.siteB.association.spi, key: Array(repeating: 7, count: 32))!
        let forged = prepare(&h, from: \.siteB, at: t + 1, key: forger)
        #expect(forged.acknowledgements.first?.status == .authenticationFailed)
        #expect(forged.prepared.isEmpty && h.core.preparations.isEmpty)

        let bytes = h.siteB.update(at: t + 2, lifetime: 15, options: Self.prepareOptions(at: t + 2))
        _ = h.handle(h.siteB.event(bytes), at: t + 2)
        _ = prepare(&h, from: \.siteB, lifetime: 0, at: t + 2.05)  // aborted
        let replayed = h.handle(h.siteB.event(bytes), at: t + 2.1)
        #expect(replayed.acknowledgements.first?.status == .timestampLowerThanPreviouslyAccepted)
        #expect(replayed.prepared.isEmpty && h.core.preparations.isEmpty && h.core.bindings[Harness.vm]?.siteName == "site-a")
    }
}

extension PreparationTests {
    @Test("preparations are persisted, and restored at start while they run")
    func persistedAndRestored() throws {
        var h = Harness()
        _ = arrive(&h, at: \.siteA, time: t)
        let prepared = prepare(&h, from: \.siteB, at: t + 1)
        let stored = try #require(prepared.compactMap { if case .persistPreparation(let p) = $0 { p } else { nil } }.first)
        #expect(stored.siteName == "site-b" && stored.site.siteAddress == h.siteB.address)

        // A restart: a fresh core restores the binding and the preparation.
        var restarted = Harness(restartCounter: 2)
        _ = restarted.core.restore(Array(h.core.bindings.values), at: t + 2)
        let actions = restarted.core.restorePreparations([stored], at: t + 2)
        #expect(actions.prepared.map(\.siteAddress) == [h.siteB.address])
        #expect(restarted.core.preparations[Harness.vm] == stored)
        // One already over is dropped from the store.
        var late = Harness(restartCounter: 3)
        let dropped = late.core.restorePreparations([stored], at: stored.expiresAt + 1)
        #expect(dropped.prepared.isEmpty && late.core.preparations.isEmpty)
        #expect(dropped.contains { if case .unpersistPreparation(Harness.vm) = $0 { true } else { false } })
    }
}

extension Array where Element == HomeAgentAction {
    var prepared: [AwayVM] { compactMap { if case .prepare(let site) = $0 { site } else { nil } } }
    var unprepared: [AwayVM] { compactMap { if case .unprepare(let site) = $0 { site } else { nil } } }
}
