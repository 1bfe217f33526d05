import Logging
import ServiceLifecycle

/// The daemon as a lifecycle service: SIGTERM and SIGINT stop it gracefully.
public struct SiteAgentService: Service {
    let daemon: SiteAgentDaemon

    public init(daemon: SiteAgentDaemon) {
        self.daemon = daemon
    }

    public func run() async throws {
        let daemon = self.daemon
        try await withGracefulShutdownHandler {
            try await daemon.run()
        } onGracefulShutdown: {
            daemon.shutdown()
        }
    }
}
