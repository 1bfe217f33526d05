import AgentRuntime
import EBPFDataPlane
import Etcd
import Foundation
import GLMControl
import GLMWire
import Logging
import Metrics
import NIOPosix
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
        let registry = AgentMetrics.bootstrap(agent: .homeAgent)
        let tunnels = TunnelCounterSource()
        let makeDataPlane: @Sendable () -> (any HomeDataPlane)? = {
            guard dataPlane else { return nil }
            let configurator = NetworkConfigurator(journal: configuration.networkJournal, logger: logger)
            let tunnel = TunnelSelection.tunnel(
                configuration.tunnelImplementation,
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
            await HomeAgentControl.answer(request, daemon: slot.daemon, member: clusterMember,
                                          tunnel: dataPlane ? tunnels.counters : nil, dataPlane: tunnels.current?.dataPlaneStatus)
        })
        if dataPlane {
            services.append(HomeLANWatcher.service(interface: configuration.homeInterface, slot: slot, logger: logger))
        }
        if let metrics = configuration.metrics {
            services.append(MetricsService(host: metrics.host, port: Int(metrics.port), registry: registry,
                                           tunnel: dataPlane ? TunnelMetrics(dataPlane: { tunnels.current?.dataPlaneStatus }) { tunnels.counters } : nil, logger: logger))
        }
        return HomeAgentRuntime(daemon: daemon, member: member, services: services)
    }
}

/// What the home agent's control socket answers (see ``ControlRequest``). In a cluster, a
/// member that does not serve answers `bindings` from etcd and `status` with the
/// cluster's view; `notify` and `revoke` need the serving one.
public enum HomeAgentControl {
    public static func answer(_ request: ControlRequest, daemon: HomeAgentDaemon?, member: ClusterMember? = nil,
                              tunnel: TunnelCounters? = nil, dataPlane: DataPlaneStatus? = nil) async -> ControlReply {
        switch request.request {
        case .cluster:
            guard let member else { return .failure("this home agent is not a cluster member (store: sqlite)") }
            return .encoding(await member.status())
        case .watch:
            guard let events = member?.events ?? daemon?.events else { return .failure("the home agent is not running") }
            return .events(events.subscribe())
        case .drain, .undrain:
            return .failure("\(request.request.rawValue) is a site agent's request: run it at the hypervisor's site agent")
        default:
            break
        }
        guard let daemon else {
            guard let member else { return .failure("the home agent is not running") }
            return await standbyAnswer(request, member: member)
        }
        switch request.request {
        case .notify:
            // `incoming`, `aborted`: a hypervisor of the home LAN is about to receive the VM
            // back (its libvirt hook's `migrate begin`), or that failed.
            guard let vm = request.vm.flatMap(MACAddress.init), let event = request.event else {
                return .failure("notify needs a vm (a MAC address) and an event (incoming or aborted)")
            }
            switch event {
            case .incoming: daemon.submit(.event(.vmIncomingAtHome(vm)))
            case .aborted: daemon.submit(.event(.vmIncomingAtHomeAborted(vm)))
            case .arrived, .departed: return .failure("a home agent takes incoming or aborted, not \(event.rawValue)")
            }
            return .encoding(ControlAcknowledgement())
        case .revoke:
            guard let vm = request.vm.flatMap(MACAddress.init) else { return .failure("revoke needs a vm (a MAC address)") }
            guard let binding = await daemon.bindings().first(where: { $0.vm == vm }) else {
                return .failure("\(vm) has no binding here")
            }
            daemon.submit(.event(.revoke(vm)))
            return .encoding(ControlAcknowledgement(note: "binding at \(binding.siteName) \(binding.siteAddress) removed; "
                + "a revocation goes to the site until it acknowledges"))
        case .bindings:
            return .encoding(BindingReport.entries(await daemon.bindings()))
        case .preparations:
            return .encoding(BindingReport.entries(await daemon.preparations()))
        case .status:
            return .encoding(await daemon.status(tunnel: tunnel, dataPlane: dataPlane, cluster: await member?.status()))
        case .cluster, .watch, .drain, .undrain:
            return .failure("\(request.request.rawValue) is not a request a serving home agent takes")
        }
    }

    /// A member that does not serve: the bindings as etcd holds them, and its view.
    private static func standbyAnswer(_ request: ControlRequest, member: ClusterMember) async -> ControlReply {
        switch request.request {
        case .bindings:
            return .encoding(BindingReport.entries(await member.replicatedBindings()))
        case .preparations:
            return .encoding([PreparationEntry]())
        case .status:
            let cluster = await member.status()
            return .encoding(HomeAgentStatus(version: GLMVersion.current, site: "", address: "", restartCounter: nil, serving: false,
                                             bindings: await member.replicatedBindings().count, preparations: 0, sites: [],
                                             tunnel: nil, cluster: cluster))
        default:
            return .failure("this member does not serve the cluster now; \(await member.status().owner ?? "no member") does")
        }
    }
}
