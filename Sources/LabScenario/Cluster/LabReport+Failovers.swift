extension LabReport {
    /// The table a person reads at the end of `make demo-cluster`: one row per failover.
    func failoverSummary(_ failovers: [FailoverRecord]) -> String {
        let p = parameters
        let members = p.clusterMembers.map { "\($0) home agents" } ?? "home agents"
        let etcd = p.etcdMembers.map { " on a \($0)-member etcd" } ?? ""
        var lines = ["GLM lab, a cluster of home agents: site A's \(members)\(etcd); its VM a1 away at "
                     + "\(p.route.joined(separator: ", ")), one-way delay \(Self.format(p.oneWayDelayMilliseconds)) ms per site link "
                     + "(\(Self.format(4 * p.oneWayDelayMilliseconds)) ms round trip through the cluster's service address), "
                     + "probes every \(Self.format(p.probeIntervalMilliseconds)) ms from site A's correspondent"]
        lines.append("")
        let header = ["#", "killed", "serving", "takeover", "traffic gap", "probes lost", "duplicates", "bindings before → after",
                      "standby again"]
        let rows = failovers.enumerated().map { index, failover in
            [
                "\(index + 1)", failover.killedMember, failover.servingMember,
                Self.milliseconds(failover.takeoverMilliseconds),
                failover.trafficGapMilliseconds.map(Self.milliseconds) ?? "-",
                "\(failover.probesLost)/\(failover.probesSent)", "\(failover.duplicates)",
                "\(failover.bindingsBefore) → \(failover.bindingsAfter)",
                failover.rejoinedAt.map { rejoined in
                    Self.milliseconds((rejoined - (failover.restartedAt ?? failover.killedAt)) * 1000) + " after its restart"
                } ?? "no",
            ]
        }
        lines += Self.table(header: header, rows: rows)
        lines.append("")
        lines.append("Takeover: from the kill (every process of the member's machine, then its links) to the other member saying it serves.")
        lines.append("Traffic gap: the longest time between the sends of two consecutive answered probes.")
        lines.append("Standby again: from the killed member's restart (its machine back) to its saying it is a standby hearing its peer.")
        return lines.joined(separator: "\n")
    }
}
