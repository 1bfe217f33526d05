import AgentRuntime
import Etcd
import Foundation
import GLMWire
import Logging
import NIOPosix
import Metrics
import Prometheus
import ServiceLifecycle

/// Assembles the home agent as `home-agent run` runs it: store, daemon, data plane,
/// metrics endpoint, as lifecycle services. With `store: etcd` the daemon belongs to a
/// ``ClusterMember``, which starts one for each term it serves.
public struct HomeAgentRuntime: Sendable {
    /// The daemon, for a single home agent (`store: sqlite`); nil in a cluster.
    public let daemon: HomeAgentDaemon?
    /// The cluster member, with `store: etcd`.
    public let member: ClusterMember?
    public let services: [any Service]

    /// Opens the store, bootstraps metrics (once per process) and prepares the services.
    public static func start(configuration: HomeAgentConfiguration, configurationPath: String, dataPlane: Bool,
                             logger: Logger) async throws -> HomeAgentRuntime {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let tunnels = TunnelCounterSource()
        let makeDataPlane: @Sendable () -> (any HomeDataPlane)? = {
            guard dataPlane else { return nil }
            let configurator = NetworkConfigurator(journal: configuration.networkJournal, logger: logger)
            let tunnel = UserSpaceTunnel(
                configuration: .init(localAddress: configuration.policy.address, interfaceName: configuration.tunnelInterface,
                                     port: configuration.tunnelPort, mtu: configuration.tunnelMTU),
                configurator: configurator, logger: logger)
            tunnels.current = tunnel
            return UserSpaceHomeDataPlane(tunnel: tunnel, homeInterface: configuration.homeInterface,
                                          mtu: configuration.tunnelMTU, localAddress: configuration.policy.address,
                                          configurator: configurator, logger: logger)
        }
        let slot: DaemonSlot
        var services: [any Service]
        var daemon: HomeAgentDaemon?
        var member: ClusterMember?
        if let cluster = configuration.cluster {
            let client = try EtcdClient(configuration: .init(endpoints: cluster.etcd.endpoints, tls: cluster.etcd.tlsConfiguration(),
                                                             requestTimeout: .seconds(1)),
                                        eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let clusterMember = ClusterMember(configuration: configuration, client: client, logger: logger, makeDataPlane: makeDataPlane)
            member = clusterMember
            slot = clusterMember.slot
            services = [ClusterService(member: clusterMember, configurationPath: configurationPath, logger: logger)]
        } else {
            let store = try BindingStore(path: configuration.database)
            let single = try await HomeAgentDaemon(configuration: configuration, store: store, dataPlane: makeDataPlane(), logger: logger)
            daemon = single
            slot = DaemonSlot(single)
            services = [HomeAgentService(daemon: single, configurationPath: configurationPath, logger: logger)]
        }
        let clusterMember = member
        services.append(ControlService(path: configuration.controlSocket, logger: logger) { request in
            await HomeAgentControl.answer(request, daemon: slot.daemon, member: clusterMember)
        })
        if dataPlane {
            services.append(HomeLANWatcher.service(interface: configuration.homeInterface, slot: slot, logger: logger))
        }
        if let metrics = configuration.metrics {
            services.append(MetricsService(host: metrics.host, port: Int(metrics.port), registry: registry,
                                           tunnel: dataPlane ? TunnelMetrics { tunnels.counters } : nil, logger: logger))
        }
        return HomeAgentRuntime(daemon: daemon, member: member, services: services)
    }
}

/// What the control socket answers. In a cluster, a member that does not serve answers
/// `bindings` from etcd and `status` with the cluster's view; `notify` needs the serving one.
public enum HomeAgentControl {
    public static func answer(_ request: String, daemon: HomeAgentDaemon?, member: ClusterMember? = nil) async -> [UInt8] {
        let words = request.split(separator: " ")
        if request == "cluster" {
            guard let member else { return Array("{\"error\":\"this home agent is not a cluster member (store: sqlite)\"}".utf8) }
            return (try? JSONEncoder().encode(await member.status())).map(Array.init) ?? []
        }
        guard let daemon else {
            guard let member else { return Array("{\"error\":\"the home agent is not running\"}".utf8) }
            return await standbyAnswer(request, member: member)
        }
        if words.first == "notify" {
            // `notify incoming MAC`, `notify aborted MAC`: a hypervisor of the home LAN is
            // about to receive the VM back (its libvirt hook's `migrate begin`), or that failed.
            guard words.count == 3, let mac = MACAddress(String(words[2])) else {
                return Array("{\"error\":\"usage: notify incoming|aborted MAC\"}".utf8)
            }
            switch words[1] {
            case "incoming": daemon.submit(.event(.vmIncomingAtHome(mac)))
            case "aborted": daemon.submit(.event(.vmIncomingAtHomeAborted(mac)))
            default: return Array("{\"error\":\"the event must be incoming or aborted\"}".utf8)
            }
            return Array("{\"ok\":true}".utf8)
        }
        switch request {
        case "bindings":
            return BindingReport.json(await daemon.bindings())
        case "preparations":
            return BindingReport.preparationsJSON(await daemon.preparations())
        case "status":
            let bindings = await daemon.bindings().count
            let counter = await daemon.restartCounter()
            let cluster = await clusterJSON(member)
            return Array("{\"bindings\":\(bindings),\"restartCounter\":\(counter)\(cluster)}".utf8)
        default:
            return Array("{\"error\":\"unknown request; try bindings, preparations, status, cluster or notify\"}".utf8)
        }
    }

    /// A member that does not serve: the bindings as etcd holds them, and its view.
    private static func standbyAnswer(_ request: String, member: ClusterMember) async -> [UInt8] {
        switch request {
        case "bindings":
            return BindingReport.json(await member.replicatedBindings())
        case "preparations":
            return BindingReport.preparationsJSON([])
        case "status":
            let bindings = await member.replicatedBindings().count
            return Array("{\"bindings\":\(bindings),\"serving\":false\(await clusterJSON(member))}".utf8)
        default:
            return Array("{\"error\":\"this member does not serve the cluster now; \(await member.status().owner ?? "no member") does\"}".utf8)
        }
    }

    private static func clusterJSON(_ member: ClusterMember?) async -> String {
        guard let member, let data = try? JSONEncoder().encode(await member.status()) else { return "" }
        return ",\"cluster\":" + String(decoding: data, as: UTF8.self)
    }
}
