import HomeAgentCore
import Testing

/// The cluster's rules on a fake clock: who serves, when a standby takes over, when it
/// ends a silent owner's lease, and that two members never serve at once.
@Suite("Cluster membership")
struct ClusterMembershipTests {
    let timing = ClusterMembership.Timing(serveWindow: 0.3, silenceLimit: 0.2, margin: 0.1)

    @Test("an owner serves while it renews its lease, and stops W after its last renewal")
    func ownerServesWhileRenewing() {
        var a = ClusterMembership(member: "a", peers: ["a", "b"], timing: timing)
        a.leaseGranted(1, at: 0)
        a.ownerRead(.init(member: "a", term: 10, lease: 1), at: 0)
        #expect(a.decide(at: 0) == [.serve(term: 10)])
        for tick in 1...10 {
            a.renewed(sentAt: Double(tick) * 0.1)
            a.heard("b", serving: false, storeReachable: true, at: Double(tick) * 0.1)
            #expect(a.decide(at: Double(tick) * 0.1).isEmpty)
        }
        // No renewal after t = 1.0: serving ends before 1.3.
        #expect(a.decide(at: 1.29).isEmpty)
        #expect(a.decide(at: 1.31) == [.stop(reason: "etcd unreachable for 300 ms and a peer may take over")])
        #expect(!a.isServing)
    }

    @Test("a lost lease stops the owner at once")
    func lostLeaseStops() {
        var a = ClusterMembership(member: "a", peers: ["b"], timing: timing)
        a.leaseGranted(1, at: 0)
        a.ownerRead(.init(member: "a", term: 10, lease: 1), at: 0)
        #expect(a.decide(at: 0) == [.serve(term: 10)])
        a.leaseLost()
        #expect(a.decide(at: 0.01) == [.stop(reason: "this member's lease ended")])
    }

    @Test("a standby ends a silent owner's lease after D, and takes over W + M later")
    func standbyTakesOverFromSilentOwner() {
        var b = ClusterMembership(member: "b", peers: ["a", "b"], timing: timing)
        b.leaseGranted(2, at: 0)
        b.ownerRead(.init(member: "a", term: 10, lease: 1), at: 0)
        for tick in 0...5 {
            let now = Double(tick) * 0.05
            b.heard("a", serving: true, storeReachable: true, at: now)
            b.renewed(sentAt: now)
            #expect(b.decide(at: now).isEmpty)
        }
        // a's last heartbeat at 0.25; silent for D = 0.2 at 0.45.
        b.renewed(sentAt: 0.4)
        #expect(b.decide(at: 0.44).isEmpty)
        let decisions = b.decide(at: 0.45)
        #expect(decisions == [.revoke(lease: 1, member: "a", reason: "silent for 200 ms or more")])
        b.revoked(1, at: 0.46)
        b.ownerRead(nil, at: 0.47)
        b.renewed(sentAt: 0.5)
        // The revocation at 0.46 is the latest mark: no campaign before 0.46 + 0.35.
        #expect(abs(b.earliestTakeover() - (0.46 + 0.3 + 0.1)) < 1e-9)
        #expect(b.decide(at: 0.85).isEmpty)
        b.renewed(sentAt: 0.85)
        #expect(b.decide(at: 0.87) == [.campaign])
        b.ownerRead(.init(member: "b", term: 20, lease: 2), at: 0.88)
        #expect(b.decide(at: 0.88) == [.serve(term: 20)])
    }

    @Test("a standby that just joined does not judge an owner it has not heard yet")
    func newcomerWaits() {
        var b = ClusterMembership(member: "b", peers: ["a"], timing: timing)
        b.leaseGranted(2, at: 5)
        b.ownerRead(.init(member: "a", term: 10, lease: 1), at: 5)
        #expect(b.decide(at: 5.1).isEmpty)
        b.renewed(sentAt: 5.15)
        #expect(b.decide(at: 5.2) == [.revoke(lease: 1, member: "a", reason: "silent for 200 ms or more")])
    }

    @Test("an owner that cannot reach etcd serves on while every peer echoes its heartbeats, and nobody takes over")
    func etcdOutageForEveryone() {
        var a = ClusterMembership(member: "a", peers: ["b"], timing: timing)
        var b = ClusterMembership(member: "b", peers: ["a"], timing: timing)
        a.leaseGranted(1, at: 0)
        b.leaseGranted(2, at: 0)
        let owner = ClusterMembership.Owner(member: "a", term: 10, lease: 1)
        a.ownerRead(owner, at: 0)
        b.ownerRead(owner, at: 0)
        #expect(a.decide(at: 0) == [.serve(term: 10)])
        // etcd is gone from t = 0 on: nobody renews. Heartbeats flow every 50 ms.
        var aServedThrough = 0.0
        for tick in 1...40 {
            let now = Double(tick) * 0.05
            let fromA = a.heartbeatFlags(at: now)
            let fromB = b.heartbeatFlags(at: now)
            b.heard("a", serving: fromA.serving, storeReachable: fromA.storeReachable, echo: now - 0.05, at: now)
            a.heard("b", serving: fromB.serving, storeReachable: fromB.storeReachable, echo: now - 0.05, at: now)
            #expect(a.decide(at: now).isEmpty, "a stopped at \(now)")
            #expect(b.decide(at: now).isEmpty, "b acted at \(now)")
            aServedThrough = now
        }
        #expect(a.isServing && aServedThrough == 2.0)
        // b dies (silent): a may no longer count on it, and stops W after the heartbeat
        // b last echoed (sent at 1.95).
        #expect(a.decide(at: 2.24).isEmpty)
        #expect(a.decide(at: 2.26) == [.stop(reason: "etcd unreachable for 300 ms and a peer may take over")])
    }

    @Test("an owner cut off from etcd and from its peers stops before the peer can take over")
    func partitionedOwnerStopsFirst() {
        var a = ClusterMembership(member: "a", peers: ["b"], timing: timing)
        var b = ClusterMembership(member: "b", peers: ["a"], timing: timing)
        a.leaseGranted(1, at: 0)
        b.leaseGranted(2, at: 0)
        let owner = ClusterMembership.Owner(member: "a", term: 10, lease: 1)
        a.ownerRead(owner, at: 0)
        b.ownerRead(owner, at: 0)
        _ = a.decide(at: 0)
        var aStopped: Double?
        var bServes: Double?
        var now = 0.0
        a.renewed(sentAt: 0)
        while now < 3, bServes == nil {
            now += 0.01
            // a is cut off at t = 1: no renewals, no heartbeats either way.
            if now < 1 {
                a.renewed(sentAt: now)
                let fromA = a.heartbeatFlags(at: now)
                b.heard("a", serving: fromA.serving, storeReachable: fromA.storeReachable, echo: now - 0.01, at: now)
                let fromB = b.heartbeatFlags(at: now)
                a.heard("b", serving: fromB.serving, storeReachable: fromB.storeReachable, echo: now - 0.01, at: now)
            } else {
                _ = a.heartbeatFlags(at: now)
            }
            b.renewed(sentAt: now)
            _ = b.heartbeatFlags(at: now)
            if a.decide(at: now).contains(where: { if case .stop = $0 { true } else { false } }) { aStopped = now }
            for decision in b.decide(at: now) {
                switch decision {
                case .revoke(let lease, _, _):
                    b.revoked(lease, at: now)
                    b.ownerRead(nil, at: now)
                case .campaign:
                    b.ownerRead(.init(member: "b", term: 20, lease: 2), at: now)
                case .serve:
                    bServes = now
                case .stop:
                    Issue.record("b stopped")
                }
            }
        }
        let stopped = try? #require(aStopped)
        let serves = try? #require(bServes)
        print("partitioned owner stopped at \(stopped ?? -1) s, the standby served at \(serves ?? -1) s")
        #expect((stopped ?? 99) < (serves ?? 0))
        #expect((serves ?? 99) - 1 < 1, "takeover within a second of the cut")
    }

    @Test("an owner cut off from etcd that hears its peer, but is not heard by it, stops W after its last echoed heartbeat")
    func asymmetricPartition() {
        var a = ClusterMembership(member: "a", peers: ["b"], timing: timing)
        a.leaseGranted(1, at: 0)
        a.ownerRead(.init(member: "a", term: 10, lease: 1), at: 0)
        _ = a.decide(at: 0)
        a.renewed(sentAt: 0.9)
        // From 1.0 a reaches neither etcd nor b; b's heartbeats still reach a, echoing
        // a's last heartbeat b heard: the one sent at 0.95.
        for tick in 0..<20 {
            let now = 1.0 + Double(tick) * 0.05
            a.heard("b", serving: false, storeReachable: true, echo: 0.95, at: now)
            let decisions = a.decide(at: now)
            if now < 1.24 { #expect(decisions.isEmpty, "a stopped at \(now)") }
            if now > 1.26 { #expect(!a.isServing, "a still serves at \(now)") }
        }
    }

    @Test("an owner cut off from etcd alone, heard by a peer that reaches etcd, hands over 4 W after its last renewal")
    func ownerCutOffFromEtcdAlone() {
        var a = ClusterMembership(member: "a", peers: ["b"], timing: timing)
        a.leaseGranted(1, at: 0)
        a.ownerRead(.init(member: "a", term: 10, lease: 1), at: 0)
        _ = a.decide(at: 0)
        a.renewed(sentAt: 1.0)
        var stopped: Double?
        for tick in 1...80 {
            let now = 1.0 + Double(tick) * 0.025
            a.heard("b", serving: false, storeReachable: true, echo: now - 0.01, at: now)
            if !a.decide(at: now).isEmpty { stopped = stopped ?? now }
        }
        let at = try? #require(stopped)
        #expect((at ?? 0) >= 2.2 && (at ?? 9) < 2.23, "stopped at \(at ?? -1)")
    }

    @Test("an owner saying it cannot reach etcd for D loses its lease to a peer that can")
    func unreachableOwnerIsReplaced() {
        var b = ClusterMembership(member: "b", peers: ["a"], timing: timing)
        b.leaseGranted(2, at: 0)
        b.ownerRead(.init(member: "a", term: 10, lease: 1), at: 0)
        b.heard("a", serving: true, storeReachable: false, at: 0.05)
        b.renewed(sentAt: 0.1)
        b.heard("a", serving: true, storeReachable: false, at: 0.2)
        #expect(b.decide(at: 0.2).isEmpty)
        b.heard("a", serving: true, storeReachable: false, at: 0.25)
        b.renewed(sentAt: 0.25)
        #expect(b.decide(at: 0.25).isEmpty, "2 D from b's lease at 0")
        b.heard("a", serving: true, storeReachable: false, at: 0.4)
        b.renewed(sentAt: 0.4)
        #expect(b.decide(at: 0.4).isEmpty, "a said so since 0.05: not yet 2 D")
        b.heard("a", serving: true, storeReachable: false, at: 0.46)
        b.renewed(sentAt: 0.46)
        #expect(b.decide(at: 0.46) == [.revoke(lease: 1, member: "a", reason: "cannot reach etcd")])
        // a still says it serves: the takeover waits W + M after that.
        b.revoked(1, at: 0.47)
        b.ownerRead(nil, at: 0.47)
        b.heard("a", serving: true, storeReachable: false, at: 0.5)
        #expect(abs(b.earliestTakeover() - (0.5 + 0.4)) < 1e-9)

        // After an outage of etcd for both: b reaches it again at 2.0, a a moment later.
        var c = ClusterMembership(member: "c", peers: ["a"], timing: timing)
        c.leaseGranted(3, at: 0)
        c.ownerRead(.init(member: "a", term: 10, lease: 1), at: 0)
        c.heard("a", serving: true, storeReachable: false, at: 0.5)
        c.renewed(sentAt: 2.0)
        c.heard("a", serving: true, storeReachable: false, at: 2.1)
        #expect(c.decide(at: 2.1).isEmpty, "the owner's outage before c's own return does not count")
        c.heard("a", serving: true, storeReachable: true, at: 2.15)
        #expect(c.decide(at: 2.5).isEmpty)
    }

    @Test("two standbys: one campaign wins; the other neither serves nor revokes the winner it hears")
    func twoStandbys() {
        var c = ClusterMembership(member: "c", peers: ["a", "b"], timing: timing)
        c.leaseGranted(3, at: 0)
        c.ownerRead(nil, at: 0)
        c.renewed(sentAt: 0.4)
        #expect(c.decide(at: 0.4) == [.campaign])
        c.ownerRead(.init(member: "b", term: 30, lease: 2), at: 0.41)
        c.heard("b", serving: false, storeReachable: true, at: 0.41)
        c.heard("b", serving: true, storeReachable: true, at: 0.5)
        c.renewed(sentAt: 0.5)
        #expect(c.decide(at: 0.5).isEmpty)
        #expect(!c.isServing)
    }
}
