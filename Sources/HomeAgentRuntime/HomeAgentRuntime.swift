import AgentRuntime
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
                                           mtu: configuration.tunnelMTU, configurator: configurator, logger: logger)
            tunnelMetrics = TunnelMetrics { tunnel.counters }
        }
        let daemon = try HomeAgentDaemon(configuration: configuration, store: store, dataPlane: plane, logger: logger)
        var services: [any Service] = [HomeAgentService(daemon: daemon, configurationPath: configurationPath, logger: logger),
                                       ControlService(daemon: daemon, path: configuration.controlSocket, logger: logger)]
        if dataPlane {
            services.append(HomeLANWatcher(interface: configuration.homeInterface, daemon: daemon, logger: logger))
        }
        if let metrics = configuration.metrics {
            services.append(MetricsService(host: metrics.host, port: Int(metrics.port), registry: registry,
                                           tunnel: tunnelMetrics, logger: logger))
        }
        return HomeAgentRuntime(daemon: daemon, services: services)
    }
}

/// Serves the Prometheus registry over HTTP until shutdown.
struct MetricsService: Service {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    /// The tunnel's counters, brought up to date at every scrape.
    let tunnel: TunnelMetrics?
    let logger: Logger

    func run() async throws {
        let registry = self.registry
        let tunnel = self.tunnel
        let endpoint = try await PrometheusEndpoint.bind(host: host, port: port) {
            tunnel?.sample()
            return registry.emitToBuffer()
        }
        logger.info("metrics endpoint listening", metadata: ["address": "\(host):\(endpoint.port)"])
        try? await gracefulShutdown()
        await endpoint.close()
    }
}

/// Answers the control socket until shutdown: `bindings` (JSON array) and `status`.
struct ControlService: Service {
    let daemon: HomeAgentDaemon
    let path: String
    let logger: Logger

    func run() async throws {
        let daemon = self.daemon
        let socket = try await ControlSocket.bind(path: path) { request in
            await HomeAgentControl.answer(request, daemon: daemon)
        }
        logger.info("control socket listening", metadata: ["path": "\(path)"])
        try? await gracefulShutdown()
        await socket.close()
    }
}

/// What the control socket answers.
public enum HomeAgentControl {
    public static func answer(_ request: String, daemon: HomeAgentDaemon) async -> [UInt8] {
        switch request {
        case "bindings":
            return BindingReport.json(await daemon.bindings())
        case "status":
            let bindings = await daemon.bindings().count
            let counter = await daemon.restartCounter()
            return Array("{\"bindings\":\(bindings),\"restartCounter\":\(counter)}".utf8)
        default:
            return Array("{\"error\":\"unknown request; try bindings or status\"}".utf8)
        }
    }
}
