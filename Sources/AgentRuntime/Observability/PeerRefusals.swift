import GLMControl

/// The refusals exchanged with one peer since the agent started: what `status` shows
/// beside the peer's heartbeats, and what tells a peer whose keys differ.
public struct PeerRefusals: Sendable {
    public private(set) var count = 0
    public private(set) var last: String?
    public private(set) var lastAt: Double?
    /// When its messages last failed authentication, or it refused ours 146.
    public private(set) var lastAuthenticationFailure: Double?

    public init() {}

    public mutating func record(_ reason: String, authentication: Bool, at now: Double) {
        count += 1
        last = reason
        lastAt = now
        if authentication { lastAuthenticationFailure = now }
    }

    /// The peer's health: `refused` when its last word failed authentication after its
    /// last authentic one (`lastAuthentic`: a heartbeat answered, a registration
    /// accepted) — a peer whose keys differ gets no answer to its heartbeats, so this
    /// comes before `down`, when heartbeats go unanswered; `up` once it answered; else
    /// `idle`.
    public func health(reachable: Bool, lastHeartbeat: Double?, roundTrip: Double?, restartCounter: UInt32?,
                       lastAuthentic: Double?, now: Double) -> PeerHealth {
        var health = PeerHealth(state: .idle, lastHeartbeatSecondsAgo: lastHeartbeat.map { now - $0 },
                                roundTripMilliseconds: roundTrip.map { $0 * 1000 }, restartCounter: restartCounter,
                                refusals: count, lastRefusal: last, lastRefusalSecondsAgo: lastAt.map { now - $0 })
        if let failure = lastAuthenticationFailure, failure > (lastAuthentic ?? -.infinity) {
            health.state = .refused
        } else if !reachable {
            health.state = .down
        } else if lastHeartbeat != nil {
            health.state = .up
        }
        return health
    }
}
