import GLMControl
import Logging
import Prometheus
import ServiceLifecycle

/// Serves a Prometheus registry over HTTP until shutdown.
package struct MetricsService: Service {
    package let host: String
    package let port: Int
    package let registry: PrometheusCollectorRegistry
    /// The tunnel's counters, brought up to date at every scrape.
    package let tunnel: TunnelMetrics?
    package let logger: Logger

    package init(host: String, port: Int, registry: PrometheusCollectorRegistry, tunnel: TunnelMetrics?, logger: Logger) {
        self.host = host
        self.port = port
        self.registry = registry
        self.tunnel = tunnel
        self.logger = logger
    }

    package func run() async throws {
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

/// Answers the control socket with `answer` until shutdown.
package struct ControlService: Service {
    package let path: String
    package let logger: Logger
    package let answer: @Sendable (ControlRequest) async -> ControlReply

    package init(path: String, logger: Logger, answer: @escaping @Sendable (ControlRequest) async -> ControlReply) {
        self.path = path
        self.logger = logger
        self.answer = answer
    }

    package func run() async throws {
        let socket = try await ControlSocket.bind(path: path, answer: answer)
        logger.info("control socket listening", metadata: ["path": "\(path)"])
        try? await gracefulShutdown()
        await socket.close()
    }
}
