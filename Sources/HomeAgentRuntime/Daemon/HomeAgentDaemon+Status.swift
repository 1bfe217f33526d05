import AgentRuntime
import Foundation
import GLMControl
import HomeAgentCore

extension HomeAgentDaemon {
    /// What `glmctl status` shows of this agent and every configured site.
    /// `tunnel`: the data plane's counters, nil without one.
    public func status(tunnel: TunnelCounters?, cluster: ClusterStatus?, now: Double = Date().timeIntervalSince1970) -> HomeAgentStatus {
        let hosts = core.heartbeatedHosts
        let vmsBySite = Dictionary(grouping: core.bindings.values, by: \.siteName).mapValues(\.count)
        let vmsByHost = Dictionary(grouping: core.bindings.values, by: \.siteAddress).mapValues(\.count)
        let sites = core.policy.sites.map { site in
            let siteHosts = hosts.filter { $0.site == site.name }.map { host in
                HomeAgentStatus.Host(address: "\(host.address)", health: Self.health(of: host, now: now), vms: vmsByHost[host.address] ?? 0,
                                     traffic: tunnel.map { TrafficTotals($0.peers[host.address] ?? PeerTraffic()) })
            }
            // The site as a whole: down while one of its hosts is; else as its refusals and
            // its freshest answer say.
            let lastHeartbeat = hosts.filter { $0.site == site.name }.compactMap(\.lastResponse).max()
            let lastAuthentic = [ledger.lastAccepted[site.name], lastHeartbeat].compactMap { $0 }.max()
            let health = (ledger.refusals[site.name] ?? PeerRefusals()).health(
                reachable: !siteHosts.contains { $0.health.state == .down }, lastHeartbeat: lastHeartbeat,
                roundTrip: siteHosts.compactMap(\.health.roundTripMilliseconds).max().map { $0 / 1000 },
                restartCounter: nil, lastAuthentic: lastAuthentic, now: now)
            return HomeAgentStatus.Site(name: site.name, health: health, vms: vmsBySite[site.name] ?? 0, hosts: siteHosts,
                                        traffic: tunnel.map { _ in TrafficTotals(summing: siteHosts.compactMap(\.traffic)) })
        }
        return HomeAgentStatus(version: GLMVersion.current, site: core.policy.homeSite?.name ?? "", address: "\(core.policy.address)",
                               restartCounter: core.restartCounter, serving: true, bindings: core.bindings.count,
                               preparations: core.preparations.count, sites: sites, tunnel: tunnel.map(TrafficTotals.init), cluster: cluster)
    }

    private static func health(of host: HostHeartbeat, now: Double) -> PeerHealth {
        PeerRefusals().health(reachable: host.reachable, lastHeartbeat: host.lastResponse, roundTrip: host.roundTrip,
                              restartCounter: host.restartCounter, lastAuthentic: nil, now: now)
    }
}
