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
        if dataPlane {
            let configurator = NetworkConfigurator()
            let tunnel = UserSpaceTunnel(
                configuration: .init(localAddress: configuration.policy.address, interfaceName: configuration.tunnelInterface,
                                     port: configuration.tunnelPort, mtu: configuration.tunnelMTU),
                configurator: configurator, logger: logger)
            plane = UserSpaceHomeDataPlane(tunnel: tunnel, homeInterface: configuration.homeInterface,
                                           mtu: configuration.tunnelMTU, configurator: configurator, logger: logger)
        }
        let daemon = try HomeAgentDaemon(configuration: configuration, store: store, dataPlane: plane, logger: logger)
        var services: [any Service] = [HomeAgentService(daemon: daemon, configurationPath: configurationPath, logger: logger)]
        if let metrics = configuration.metrics {
            services.append(MetricsService(host: metrics.host, port: Int(metrics.port), registry: registry, logger: logger))
        }
        return HomeAgentRuntime(daemon: daemon, services: services)
    }
}

/// Serves the Prometheus registry over HTTP until shutdown.
struct MetricsService: Service {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    func run() async throws {
        let registry = self.registry
        let endpoint = try await PrometheusEndpoint.bind(host: host, port: port) { registry.emitToBuffer() }
        logger.info("metrics endpoint listening", metadata: ["address": "\(host):\(endpoint.port)"])
        try? await gracefulShutdown()
        await endpoint.close()
    }
}
