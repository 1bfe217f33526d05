/// How an agent hears one peer: through its heartbeats (RFC 5847) and the signaling that
/// failed between them.
public struct PeerHealth: Codable, Hashable, Sendable {
    public enum State: String, Codable, Hashable, Sendable {
        /// It answers heartbeats.
        case up
        /// Its last heartbeats went unanswered for the heartbeat timeout.
        case down
        /// Its last word failed authentication or was a refusal for a key or SPI
        /// mismatch, and no authentic answer came since: the keys differ.
        case refused
        /// Nothing to say: no heartbeat exchanged yet (a home agent heartbeats only the
        /// hosts holding its bindings).
        case idle
    }

    public var state: State
    public var lastHeartbeatSecondsAgo: Double?
    /// The last heartbeat's round trip.
    public var roundTripMilliseconds: Double?
    /// The Restart Counter its heartbeat responses carry.
    public var restartCounter: UInt32?
    /// Messages between the two that were refused or failed authentication since this
    /// agent started.
    public var refusals: Int
    public var lastRefusal: String?
    public var lastRefusalSecondsAgo: Double?

    public init(state: State, lastHeartbeatSecondsAgo: Double? = nil, roundTripMilliseconds: Double? = nil,
                restartCounter: UInt32? = nil, refusals: Int = 0, lastRefusal: String? = nil, lastRefusalSecondsAgo: Double? = nil) {
        self.state = state
        self.lastHeartbeatSecondsAgo = lastHeartbeatSecondsAgo
        self.roundTripMilliseconds = roundTripMilliseconds
        self.restartCounter = restartCounter
        self.refusals = refusals
        self.lastRefusal = lastRefusal
        self.lastRefusalSecondsAgo = lastRefusalSecondsAgo
    }
}

