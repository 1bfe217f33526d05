import AgentRuntime
import Foundation
import GLMControl
import HomeAgentCore

extension HomeAgentDaemon {
    /// What `glmctl status` shows of this agent and every configured site.
    /// `tunnel`: the data plane's counters, nil without one; `dataPlane`: what moves its packets.
    public func status(tunnel: TunnelCounters?, dataPlane: DataPlaneStatus? = nil, cluster: ClusterStatus?, now: Double = Date().timeIntervalSince1970) -> HomeAgentStatus {
        let vmsBySite = Dictionary(grouping: core.bindings.values, by: \.siteName).mapValues(\.count)
        let vmsByHost = Dictionary(grouping: core.bindings.values, by: \.siteAddress).mapValues(\.count)
        let hostsBySite = Dictionary(grouping: core.heartbeatedHosts, by: \.site)
        let sites = core.policy.sites.map { site in
            let heartbeats = hostsBySite[site.name] ?? []
            let hosts = heartbeats.map { host in
                HomeAgentStatus.Host(address: "\(host.address)",
                                     health: PeerLedger.heartbeatHealth(reachable: host.reachable, lastHeartbeat: host.lastResponse,
                                                                        roundTrip: host.roundTrip, restartCounter: host.restartCounter, now: now),
                                     vms: vmsByHost[host.address] ?? 0,
                                     traffic: tunnel.map { TrafficTotals($0.peers[host.address] ?? PeerTraffic()) })
            }
            // The site as a whole: down while one of its hosts is; else as its refusals and
            // its freshest answer say.
            let health = ledger.health(of: site.name, reachable: heartbeats.allSatisfy(\.reachable),
                                       lastHeartbeat: heartbeats.compactMap(\.lastResponse).max(),
                                       roundTrip: heartbeats.compactMap(\.roundTrip).max(), restartCounter: nil, now: now)
            return HomeAgentStatus.Site(name: site.name, health: health, vms: vmsBySite[site.name] ?? 0, hosts: hosts,
                                        traffic: tunnel.map { _ in TrafficTotals(summing: hosts.compactMap(\.traffic)) })
        }
        return HomeAgentStatus(version: GLMVersion.current, site: core.policy.homeSite?.name ?? "", address: "\(core.policy.address)",
                               restartCounter: core.restartCounter, serving: true, bindings: core.bindings.count,
                               preparations: core.preparations.count, sites: sites, tunnel: tunnel.map(TrafficTotals.init), dataPlane: dataPlane, cluster: cluster)
    }
}
