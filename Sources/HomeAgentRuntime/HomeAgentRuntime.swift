import AgentRuntime
import GLMWire
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// Assembles the home agent as `home-agent run` runs it: store, daemon, data plane,
/// metrics endpoint, as lifecycle services.
public struct HomeAgentRuntime: Sendable {
    public let daemon: HomeAgentDaemon
    public let services: [any Service]

    /// Opens the store, bootstraps metrics (once per process) and prepares the services.
    public static func start(configuration: HomeAgentConfiguration, configurationPath: String, dataPlane: Bool,
                             logger: Logger) async throws -> HomeAgentRuntime {
        let store = try BindingStore(path: configuration.database)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var plane: (any HomeDataPlane)? = nil
        var tunnelMetrics: TunnelMetrics? = nil
        if dataPlane {
            let configurator = NetworkConfigurator(journal: configuration.networkJournal, logger: logger)
            let tunnel = UserSpaceTunnel(
                configuration: .init(localAddress: configuration.policy.address, interfaceName: configuration.tunnelInterface,
                                     port: configuration.tunnelPort, mtu: configuration.tunnelMTU),
                configurator: configurator, logger: logger)
            plane = UserSpaceHomeDataPlane(tunnel: tunnel, homeInterface: configuration.homeInterface,
                                           mtu: configuration.tunnelMTU, localAddress: configuration.policy.address,
                                           configurator: configurator, logger: logger)
            tunnelMetrics = TunnelMetrics { tunnel.counters }
        }
        let daemon = try await HomeAgentDaemon(configuration: configuration, store: store, dataPlane: plane, logger: logger)
        var services: [any Service] = [HomeAgentService(daemon: daemon, configurationPath: configurationPath, logger: logger),
                                       ControlService(path: configuration.controlSocket, logger: logger) { request in
                                           await HomeAgentControl.answer(request, daemon: daemon)
                                       }]
        if dataPlane {
            services.append(HomeLANWatcher.service(interface: configuration.homeInterface, daemon: daemon, logger: logger))
        }
        if let metrics = configuration.metrics {
            services.append(MetricsService(host: metrics.host, port: Int(metrics.port), registry: registry,
                                           tunnel: tunnelMetrics, logger: logger))
        }
        return HomeAgentRuntime(daemon: daemon, services: services)
    }
}

/// What the control socket answers.
public enum HomeAgentControl {
    public static func answer(_ request: String, daemon: HomeAgentDaemon) async -> [UInt8] {
        let words = request.split(separator: " ")
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
            return Array("{\"bindings\":\(bindings),\"restartCounter\":\(counter)}".utf8)
        default:
            return Array("{\"error\":\"unknown request; try bindings, preparations, status or notify\"}".utf8)
        }
    }
}
