import Logging
import ServiceLifecycle
import UnixSignals

/// The daemon as a lifecycle service: SIGTERM and SIGINT stop it gracefully, SIGHUP
/// reloads the configuration file without dropping bindings (a bad file is refused,
/// logged with file, line and reason, and the running configuration kept).
public struct HomeAgentService: Service {
    let daemon: HomeAgentDaemon
    let configurationPath: String
    let logger: Logger

    public init(daemon: HomeAgentDaemon, configurationPath: String, logger: Logger) {
        self.daemon = daemon
        self.configurationPath = configurationPath
        self.logger = logger
    }

    public func run() async throws {
        let daemon = self.daemon
        let path = configurationPath
        let logger = self.logger
        let reloads = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                do {
                    daemon.submit(.reload(try HomeAgentConfiguration.load(path: path)))
                } catch {
                    logger.error("configuration not reloaded", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { reloads.cancel() }
        try await withGracefulShutdownHandler {
            try await daemon.run()
        } onGracefulShutdown: {
            daemon.shutdown()
        }
    }
}
