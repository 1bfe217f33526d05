import LabNetwork

extension FailoverRecord {
    /// A failover's record from what the lab saw of it and the probe log of its round:
    /// the longest gap between two answered probes, the probes sent, lost and answered
    /// twice.
    init(killedMember: String, servingMember: String, killedAt: Double, servingAt: Double, restartedAt: Double?,
         rejoinedAt: Double?, bindingsBefore: Int, bindingsAfter: Int, probes log: ProbeLog) {
        let gap = log.longestGap
        self.init(killedMember: killedMember, servingMember: servingMember, killedAt: killedAt, servingAt: servingAt,
                  trafficGapMilliseconds: gap.map { Double($0.nanoseconds) / 1e6 },
                  lastProbeAnsweredBefore: gap.map { Double($0.before.sent) / 1e9 },
                  firstProbeAnsweredAfter: gap.map { Double($0.after.sent) / 1e9 },
                  probesSent: log.sentCount, probesLost: log.lostCount, duplicates: log.duplicates,
                  bindingsBefore: bindingsBefore, bindingsAfter: bindingsAfter, restartedAt: restartedAt,
                  rejoinedAt: rejoinedAt)
    }
}

extension ProbeSample {
    /// A probe of a probe log as the chart draws it.
    init(_ probe: ProbeLog.Probe) {
        self.init(sent: Double(probe.sent) / 1e9, roundTripMilliseconds: probe.roundTrip.map { Double($0) / 1e6 })
    }
}
