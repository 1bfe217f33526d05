/// The home agent's protocol timers, in seconds. Defaults from RFC 5213 §9.1,
/// RFC 5846 §6.3 and RFC 5847 §5.
public struct HomeAgentTimers: Hashable, Sendable {
    /// How far a PBU's Timestamp may lie from the home agent's clock (TimestampValidityWindow).
    public var timestampValidityWindow: Double = 0.300
    /// Grace before an expired binding is deleted (MinDelayBeforeBCEDelete).
    public var minDelayBeforeDelete: Double = 10.0
    /// Lifetime granted when the PBU asks for more.
    public var maximumLifetime: Double = 3600
    /// Longest a preparation (make-before-break) is kept without the VM arriving.
    public var maximumPreparationLifetime: Double = 120
    /// First BRI retransmission; doubles each time.
    public var revocationInitialTimeout: Double = 0.25
    /// Give up on a BRI after this many transmissions.
    public var revocationMaximumTransmissions: Int = 5
    /// Interval between Heartbeat requests to each site (30-3600 s).
    public var heartbeatInterval: Double = 60
    /// Unanswered heartbeats before a site is marked unreachable.
    public var missingHeartbeatsAllowed: Int = 3

    public init() {}
}
