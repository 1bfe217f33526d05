import GLMControl

/// `glmctl status` for people: the agent in a line or two, then a table of its peers.
enum StatusTable {
    static func text(_ status: HomeAgentStatus) -> String {
        var text = "home agent \(status.site.isEmpty ? "" : status.site + " ")\(status.address) (glm \(status.version))"
        if let counter = status.restartCounter { text += ", restart counter \(counter)" }
        text += status.serving ? ", serving" : ", not serving"
        text += ": \(status.bindings) bindings, \(status.preparations) preparations\n"
        if let cluster = status.cluster {
            let owner = cluster.serving ? "this member serves" : "\(cluster.owner ?? "nobody") serves"
            text += "cluster \(cluster.cluster), member \(cluster.member): \(owner); etcd \(cluster.etcdReachable ? "reachable" : "UNREACHABLE")\n"
        }
        if let tunnel = status.tunnel { text += traffic(tunnel, status.dataPlane) }
        guard !status.sites.isEmpty else { return text }
        var lines = [["SITE", "STATE", "VMS", "TRAFFIC OUT / IN", "LAST HEARTBEAT", "RTT", "RESTART", "REFUSALS", "LAST REFUSAL"]]
        for site in status.sites {
            lines.append(row(site.name, site.health, vms: site.vms, traffic: site.traffic))
            for host in site.hosts {
                lines.append(row("  \(host.address)", host.health, vms: host.vms, traffic: host.traffic))
            }
        }
        return text + "\n" + Columns.table(lines)
    }

    static func text(_ status: SiteAgentStatus) -> String {
        let served = status.vms.filter { $0.state == "served" }.count
        var text = "site agent \(status.address) (glm \(status.version)): \(served) VMs served, \(status.vms.count) known"
        text += status.draining ? "; DRAINING: arrivals refused\n" : "\n"
        if let tunnel = status.tunnel { text += traffic(tunnel, status.dataPlane) }
        var lines = [["HOME AGENT", "ADDRESS", "STATE", "VMS", "TRAFFIC OUT / IN", "LAST HEARTBEAT", "RTT", "RESTART", "REFUSALS",
                      "LAST REFUSAL"]]
        for homeAgent in status.homeAgents {
            var line = row(homeAgent.name, homeAgent.health, vms: homeAgent.vms, traffic: homeAgent.traffic)
            line.insert(homeAgent.address, at: 1)
            lines.append(line)
        }
        text += "\n" + Columns.table(lines)
        if !status.vms.isEmpty {
            var vms = [["VM", "STATE", "HOME AGENT", "ADDRESS", "GATEWAY", "REFUSALS"]]
            for vm in status.vms {
                vms.append([vm.mac, vm.state, vm.homeAgent ?? "-", vm.address ?? "-", vm.gateway ?? "-",
                            vm.refusals?.joined(separator: "; ") ?? "-"])
            }
            text += "\n" + Columns.table(vms)
        }
        return text
    }

    private static func row(_ name: String, _ health: PeerHealth, vms: Int, traffic: TrafficTotals?) -> [String] {
        let state = health.state == .up || health.state == .idle ? health.state.rawValue : health.state.rawValue.uppercased()
        let refusal = health.lastRefusal.map { reason in
            "\(health.lastRefusalSecondsAgo.map { Columns.ago($0) + ": " } ?? "")\(reason)"
        } ?? "-"
        let exchanged = traffic.map { "\(Columns.bytes($0.bytesOut)) / \(Columns.bytes($0.bytesIn))" } ?? "-"
        return [name, state, "\(vms)", exchanged, Columns.ago(health.lastHeartbeatSecondsAgo), Columns.milliseconds(health.roundTripMilliseconds),
                health.restartCounter.map(String.init) ?? "-", "\(health.refusals)", String(refusal.prefix(60))]
    }

    private static func traffic(_ tunnel: TrafficTotals, _ plane: DataPlaneStatus?) -> String {
        let implementation = plane.map { plane in
            plane.passingAllToUserSpace ? " (\(plane.implementation), PASSING ALL TO USER SPACE: the kernel refused a map update)"
                                         : " (\(plane.implementation))"
        } ?? ""
        return "tunnel\(implementation): out \(tunnel.packetsOut) packets (\(Columns.bytes(tunnel.bytesOut))), "
            + "in \(tunnel.packetsIn) packets (\(Columns.bytes(tunnel.bytesIn))), dropped \(tunnel.dropped ?? 0)\n"
    }
}
