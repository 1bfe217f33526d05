/// Which authenticated member heartbeats are new: the check that keeps a recorded
/// heartbeat from being played back to a peer later.
///
/// Per member name it keeps the incarnation and sequence of the last heartbeat it
/// accepted and the newest `sentAt` it accepted. A heartbeat is accepted when:
/// * its `sentAt` is within ``window`` of `now`, either way (the members' clocks may
///   differ a little); otherwise it is ``Verdict/stale``;
/// * it is the first from its member; or it has the last accepted incarnation and a
///   greater sequence; or it has another incarnation (the member restarted) and a
///   `sentAt` newer than any accepted from that member. Otherwise it is
///   ``Verdict/replayed``.
///
/// Admit only heartbeats whose authenticator has been checked: the names come from
/// them, and the guard keeps one entry a name. Pure: the caller passes its wall clock in.
public struct HeartbeatReplayGuard: Sendable {
    /// What ``admit(_:now:)`` decided.
    public enum Verdict: Hashable, Sendable {
        /// New: act on it.
        case accepted
        /// Sent too long before `now`, or too far after it.
        case stale
        /// Not newer than what was accepted from its member: a repeat, one overtaken on
        /// the way, or one from an incarnation that has since restarted.
        case replayed
    }

    /// How far `sentAt` may be from `now`, in milliseconds.
    public let window: UInt64

    private struct Newest: Sendable {
        var incarnation: UInt64
        var sequence: UInt64
        var sentAt: UInt64
    }

    private var newest: [String: Newest] = [:]

    /// A guard that accepts heartbeats sent up to `window` milliseconds from `now`.
    public init(window: UInt64 = 5000) {
        self.window = window
    }

    /// Decides whether `heartbeat` is new, and remembers it when it is; `now` is the
    /// receiver's wall clock, milliseconds since 1970.
    public mutating func admit(_ heartbeat: MemberHeartbeat, now: UInt64) -> Verdict {
        let skew = heartbeat.sentAt > now ? heartbeat.sentAt - now : now - heartbeat.sentAt
        guard skew <= window else { return .stale }
        if let last = newest[heartbeat.member] {
            if heartbeat.incarnation == last.incarnation {
                guard heartbeat.sequence > last.sequence else { return .replayed }
            } else {
                guard heartbeat.sentAt > last.sentAt else { return .replayed }
            }
            newest[heartbeat.member] = Newest(incarnation: heartbeat.incarnation, sequence: heartbeat.sequence,
                                              sentAt: max(heartbeat.sentAt, last.sentAt))
        } else {
            newest[heartbeat.member] = Newest(incarnation: heartbeat.incarnation, sequence: heartbeat.sequence,
                                              sentAt: heartbeat.sentAt)
        }
        return .accepted
    }
}
