import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon as a lifecycle service: SIGTERM and SIGINT stop it gracefully; SIGHUP
/// reloads the configuration file (a bad file is refused, logged with file, line and
/// reason, and the running configuration kept).
public struct SiteAgentService: Service {
    let daemon: SiteAgentDaemon
    let configurationPath: String?
    let logger: Logger

    /// Without `configurationPath`, SIGHUP is not trapped.
    public init(daemon: SiteAgentDaemon, configurationPath: String? = nil, logger: Logger) {
        self.daemon = daemon
        self.configurationPath = configurationPath
        self.logger = logger
    }

    public func run() async throws {
        let daemon = self.daemon
        let logger = self.logger
        let reloads = configurationPath.map { path in
            Task {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    do {
                        daemon.reload(try SiteAgentConfiguration.load(path: path))
                    } catch {
                        logger.error("configuration not reloaded", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        defer { reloads?.cancel() }
        try await withGracefulShutdownHandler {
            try await daemon.run()
        } onGracefulShutdown: {
            daemon.shutdown()
        }
    }
}
