import AgentRuntime
import GLMControl
import Testing

/// How a peer's state follows from its heartbeats and the refusals between the two.
@Suite("Peer health from heartbeats and refusals")
struct PeerRefusalsTests {
    let now = 1_000.0

    @Test("no refusal: up once answered, idle before, down when heartbeats go unanswered")
    func heartbeatsAlone() {
        let none = PeerRefusals()
        #expect(none.health(reachable: true, lastHeartbeat: 990, roundTrip: 0.004, restartCounter: 3, lastAuthentic: 990, now: now).state == .up)
        #expect(none.health(reachable: true, lastHeartbeat: nil, roundTrip: nil, restartCounter: nil, lastAuthentic: nil, now: now).state == .idle)
        #expect(none.health(reachable: false, lastHeartbeat: 700, roundTrip: nil, restartCounter: nil, lastAuthentic: 700, now: now).state == .down)
        let health = none.health(reachable: true, lastHeartbeat: 990, roundTrip: 0.004, restartCounter: 3, lastAuthentic: 990, now: now)
        #expect(health.lastHeartbeatSecondsAgo == 10 && health.roundTripMilliseconds == 4 && health.restartCounter == 3)
    }

    @Test("a failed authentication after the last authentic word: refused, also once heartbeats go unanswered")
    func keysDiffer() {
        var refusals = PeerRefusals()
        refusals.record("146 (authentication-failed)", authentication: true, at: 995)
        #expect(refusals.health(reachable: true, lastHeartbeat: 990, roundTrip: nil, restartCounter: nil, lastAuthentic: 990, now: now).state == .refused)
        // Its heartbeats fail authentication and go unanswered: still the keys, not the peer.
        let late = refusals.health(reachable: false, lastHeartbeat: 990, roundTrip: nil, restartCounter: nil, lastAuthentic: 990, now: now)
        #expect(late.state == .refused && late.refusals == 1 && late.lastRefusal == "146 (authentication-failed)" && late.lastRefusalSecondsAgo == 5)
        // An authentic answer since: the keys agree again.
        #expect(refusals.health(reachable: true, lastHeartbeat: 998, roundTrip: nil, restartCounter: nil, lastAuthentic: 998, now: now).state == .up)
    }

    @Test("a refusal that is no authentication failure counts, and changes no state")
    func otherRefusals() {
        var refusals = PeerRefusals()
        refusals.record("129 (administratively-prohibited)", authentication: false, at: 999)
        let health = refusals.health(reachable: true, lastHeartbeat: 990, roundTrip: nil, restartCounter: nil, lastAuthentic: 990, now: now)
        #expect(health.state == .up && health.refusals == 1)
    }
}
