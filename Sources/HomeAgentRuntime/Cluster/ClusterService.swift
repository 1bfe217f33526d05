import Logging
import ServiceLifecycle
import UnixSignals

/// A cluster member as a lifecycle service: SIGTERM and SIGINT stop it (serving ends
/// and its lease is revoked, so a peer takes over at once), SIGHUP reloads the
/// configuration file (a bad file is refused, logged with file, line and reason).
public struct ClusterService: Service {
    let member: ClusterMember
    let configurationPath: String
    let logger: Logger

    public init(member: ClusterMember, configurationPath: String, logger: Logger) {
        self.member = member
        self.configurationPath = configurationPath
        self.logger = logger
    }

    public func run() async throws {
        let member = self.member
        let path = configurationPath
        let logger = self.logger
        let reloads = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                do {
                    await member.reload(try HomeAgentConfiguration.load(path: path))
                } catch {
                    logger.error("configuration not reloaded", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { reloads.cancel() }
        try await withGracefulShutdownHandler {
            try await member.run()
        } onGracefulShutdown: {
            member.shutdown()
        }
    }
}
