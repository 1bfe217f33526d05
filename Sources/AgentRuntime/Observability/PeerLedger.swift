import GLMControl
import Metrics

/// What an agent keeps of each peer, by name, beside its core's heartbeats: the refusals
/// exchanged with it, when it last accepted (or sent) an authentic registration, and
/// the peer's up gauge (`glm_home_site_up{site}`, `glm_site_home_agent_up{home_agent}`),
/// set from the heartbeats. Each runtime feeds it from its own core's notices.
public struct PeerLedger: Sendable {
    public private(set) var refusals: [String: PeerRefusals] = [:]
    public private(set) var lastAccepted: [String: Double] = [:]
    private let label: String
    private let dimension: String
    private var gauges: [String: Gauge] = [:]

    /// Every peer starts up (1): nothing has gone unanswered yet.
    public init(label: String, dimension: String, peers: [String]) {
        self.label = label
        self.dimension = dimension
        track(peers)
    }

    /// After a reload: gauges for new peers; those of peers no longer configured stay
    /// until ``updateGauges(down:)`` sets them to 1.
    public mutating func track(_ peers: [String]) {
        for peer in peers where gauges[peer] == nil {
            let gauge = Gauge(label: label, dimensions: [(dimension, peer)])
            gauge.record(1)
            gauges[peer] = gauge
        }
    }

    public mutating func refused(_ peer: String, _ reason: String, authentication: Bool, at now: Double) {
        refusals[peer, default: PeerRefusals()].record(reason, authentication: authentication, at: now)
    }

    public mutating func accepted(_ peer: String, at now: Double) {
        lastAccepted[peer] = now
    }

    /// Each gauge 0 for the peers `down`, 1 for every other (one no longer configured
    /// included: nothing to alert on).
    public func updateGauges(down: Set<String>) {
        for (peer, gauge) in gauges { gauge.record(down.contains(peer) ? 0 : 1) }
    }

    /// An agent that stops serving (the end of a cluster member's term) knows nothing of
    /// its peers any more: every gauge says 1, so that a standby raises no alert.
    public func standDown() {
        updateGauges(down: [])
    }

    /// A peer's health from its heartbeats alone (a host of a site, whose refusals the
    /// ledger keeps by site).
    public static func heartbeatHealth(reachable: Bool, lastHeartbeat: Double?, roundTrip: Double?, restartCounter: UInt32?,
                                       now: Double) -> PeerHealth {
        PeerRefusals().health(reachable: reachable, lastHeartbeat: lastHeartbeat, roundTrip: roundTrip,
                              restartCounter: restartCounter, lastAuthentic: nil, now: now)
    }

    /// `peer`'s health from its heartbeats and this ledger: its last authentic word is
    /// the later of its last heartbeat answered and its last registration accepted.
    public func health(of peer: String, reachable: Bool, lastHeartbeat: Double?, roundTrip: Double?,
                       restartCounter: UInt32?, now: Double) -> PeerHealth {
        let lastAuthentic = [lastHeartbeat, lastAccepted[peer]].compactMap { $0 }.max()
        return (refusals[peer] ?? PeerRefusals()).health(reachable: reachable, lastHeartbeat: lastHeartbeat, roundTrip: roundTrip,
                                                         restartCounter: restartCounter, lastAuthentic: lastAuthentic, now: now)
    }
}
