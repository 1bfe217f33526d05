import Foundation

/// One failover of a cluster of home agents, as the report gives it: the member killed,
/// the member that took over and when, what the VM's correspondent saw, and the
/// bindings on either side.
///
/// Times are wall-clock seconds since 1970 (the probes share the host's clock);
/// durations are milliseconds. The probes are those of the failover's own probe log,
/// from a second before the kill until the member killed serves again as a standby.
public struct FailoverRecord: Codable, Hashable, Sendable {
    /// The member that served and was killed (`hm12`).
    public var killedMember: String
    /// The member that served after it.
    public var servingMember: String
    /// When the lab crashed the killed member's machine (every process of its namespace
    /// killed, then its links taken down): the call, which sends its SIGKILLs once
    /// `ip netns pids` has answered, some 20 ms later.
    public var killedAt: Double
    /// When the other member first said it served (its control socket's `cluster`
    /// answer, asked every 5 ms).
    public var servingAt: Double
    /// The longest time between the sends of two consecutive answered probes.
    public var trafficGapMilliseconds: Double?
    /// The send times of the two probes around that gap: the last answered before it and
    /// the first answered after it.
    public var lastProbeAnsweredBefore: Double?
    public var firstProbeAnsweredAfter: Double?
    public var probesSent: Int
    public var probesLost: Int
    /// Second replies to a probe: two members answering for the VM at once.
    public var duplicates: Int
    /// The bindings the serving member reported before the kill, and the new one 2 s
    /// after it took over.
    public var bindingsBefore: Int
    public var bindingsAfter: Int
    /// When the member killed was started again (its machine's links up just before),
    /// and when it then said it was a standby hearing its peer.
    public var restartedAt: Double?
    public var rejoinedAt: Double?

    public init(killedMember: String, servingMember: String, killedAt: Double, servingAt: Double,
                trafficGapMilliseconds: Double?, lastProbeAnsweredBefore: Double?, firstProbeAnsweredAfter: Double?,
                probesSent: Int, probesLost: Int, duplicates: Int, bindingsBefore: Int, bindingsAfter: Int,
                restartedAt: Double?, rejoinedAt: Double?) {
        self.killedMember = killedMember
        self.servingMember = servingMember
        self.killedAt = killedAt
        self.servingAt = servingAt
        self.trafficGapMilliseconds = trafficGapMilliseconds
        self.lastProbeAnsweredBefore = lastProbeAnsweredBefore
        self.firstProbeAnsweredAfter = firstProbeAnsweredAfter
        self.probesSent = probesSent
        self.probesLost = probesLost
        self.duplicates = duplicates
        self.bindingsBefore = bindingsBefore
        self.bindingsAfter = bindingsAfter
        self.restartedAt = restartedAt
        self.rejoinedAt = rejoinedAt
    }

    /// From the kill to the other member saying it serves.
    public var takeoverMilliseconds: Double { (servingAt - killedAt) * 1000 }

    /// The line the lab prints as failover `number` of `count` completes:
    /// `[1/2] hm12 killed → hm11 serving after 612 ms: traffic gap 604 ms, 604 probes lost, bindings 1 → 1`.
    public func line(_ number: Int, of count: Int) -> String {
        "[\(number)/\(count)] \(killedMember) killed → \(servingMember) serving after \(Int(takeoverMilliseconds.rounded())) ms: "
            + "traffic gap " + (trafficGapMilliseconds.map { "\(Int($0.rounded())) ms" } ?? "unknown")
            + ", \(probesLost) probes lost" + (duplicates > 0 ? ", \(duplicates) duplicates" : "")
            + ", bindings \(bindingsBefore) → \(bindingsAfter)"
    }
}
