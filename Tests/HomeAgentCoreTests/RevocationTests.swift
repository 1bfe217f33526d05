import GLMWire
import HomeAgentCore
import NIOCore
import Testing

/// A revocation owed to a site outlives the agent that owes it: it is persisted before its
/// BRI leaves, settled in the store by the BRA (or by giving up), and sent again by
/// whichever agent restores it.
@Suite("Revocations persisted until their BRA and carried on after a restart")
struct RevocationTests {
    let t = Harness.start

    /// site-a holds the VM, then site-b takes it: the handoff revokes site-a.
    func handoff(_ harness: inout Harness) -> (actions: [HomeAgentAction], revoked: Binding) {
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        let revoked = harness.core.bindings[Harness.vm]!
        return (harness.handle(harness.siteB.event(harness.siteB.update(at: t + 10)), at: t + 10), revoked)
    }

    func acknowledgement(_ bri: BindingRevocationIndication, from site: Harness.Site) -> HomeAgentEvent {
        site.event(site.sign(.bindingRevocationAcknowledgement(BindingRevocationAcknowledgement(
            status: .success, sequenceNumber: bri.sequenceNumber, options: [.mobileNodeIdentifier(.eui48(Harness.vm))]))))
    }

    @Test("a handoff persists the old site's revocation before its BRI; the BRA settles it")
    func persistedUntilAcknowledged() throws {
        var harness = Harness()
        let (actions, revoked) = handoff(&harness)
        let persisted = try #require(actions.compactMap { if case .persistRevocation(let r) = $0 { r } else { nil } }.first)
        #expect(persisted == Revocation(vm: Harness.vm, siteAddress: harness.siteA.address, sitePort: harness.siteA.port,
                                        trigger: .interMAGHandoverSameAccessType, timestamp: revoked.timestamp))
        let persistedAt = try #require(actions.index { if case .persistRevocation = $0 { true } else { false } })
        let sentAt = try #require(actions.index {
            if case .send(let bytes, _, _) = $0, case .bindingRevocationIndication? = try? MobilityHeader(decoding: bytes).message { true } else { false }
        })
        #expect(persistedAt < sentAt, "the revocation is durable before its BRI leaves")

        let bri = try #require(actions.revocations.first?.0)
        let settled = harness.handle(acknowledgement(bri, from: harness.siteA), at: t + 10.1)
        #expect(settled.contains { if case .unpersistRevocation(persisted.key) = $0 { true } else { false } })
        #expect(!harness.core.isRevocationPending(vm: Harness.vm, site: harness.siteA.address))
    }

    @Test("a revocation given up after its last retransmission leaves the store")
    func abandonedLeavesTheStore() {
        var harness = Harness()
        _ = handoff(&harness)
        let later = harness.tick(at: t + 30)
        #expect(later.notices.contains(.revocationAbandoned(vm: Harness.vm, site: "site-a")))
        #expect(later.contains {
            if case .unpersistRevocation(RevocationKey(vm: Harness.vm, site: harness.siteA.address)) = $0 { true } else { false }
        })
    }

    @Test("restored revocations are sent again with the stored trigger and timestamp, and settled by their BRA")
    func restoredAreSentAgain() throws {
        var harness = Harness()
        let (actions, _) = handoff(&harness)
        let owed = try #require(actions.compactMap { if case .persistRevocation(let r) = $0 { r } else { nil } }.first)
        let gone = Revocation(vm: Harness.tenantVM, siteAddress: harness.stranger.address, sitePort: 5436,
                              trigger: .administrativeReason, timestamp: PMIPTimestamp(secondsSince1970: t)!)

        // Another agent (a restart, or the member taking the cluster over) restores them.
        var successor = Harness(restartCounter: 2)
        let resumed = successor.core.restoreRevocations([owed, gone], at: t + 11)
        let sent = resumed.sent
        #expect(sent.count == 1, "one BRI, to the site the policy still has")
        #expect(sent.first?.to == harness.siteA.address && sent.first?.port == harness.siteA.port)
        let bri = try #require(resumed.revocations.first?.0)
        #expect(bri.trigger == .interMAGHandoverSameAccessType)
        #expect(bri.options.timestamp == owed.timestamp)
        #expect(bri.options.mobileNodeIdentifier == .eui48(Harness.vm))
        #expect(resumed.contains { if case .unpersistRevocation(gone.key) = $0 { true } else { false } },
                "a revocation for a site no longer in the policy is dropped from the store")
        #expect(successor.core.isRevocationPending(vm: Harness.vm, site: harness.siteA.address))

        // Unanswered, it is retransmitted like any other.
        #expect(!successor.tick(at: t + 11.3).revocations.isEmpty)
        let settled = successor.handle(acknowledgement(bri, from: harness.siteA), at: t + 11.4)
        #expect(settled.contains { if case .unpersistRevocation(owed.key) = $0 { true } else { false } })
        #expect(!successor.core.isRevocationPending(vm: Harness.vm, site: harness.siteA.address))
    }
}
