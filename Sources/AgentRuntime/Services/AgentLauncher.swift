import Foundation
import Logging
import ServiceLifecycle

/// How an agent's `run` command starts: load the configuration (a bad file ends the
/// process with status 78, EX_CONFIG, and `name: file:line: reason` on standard error),
/// log to standard error at the configured level, then run the agent's services until
/// SIGTERM or SIGINT.
public enum AgentLauncher {
    public static func run<Configuration>(
        name: String,
        load: () throws -> Configuration,
        logLevel: (Configuration) -> Logger.Level,
        services: (Configuration, Logger) async throws -> [any Service]
    ) async throws {
        let configuration: Configuration
        do {
            configuration = try load()
        } catch {
            FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
            exit(78)
        }
        let level = logLevel(configuration)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "glm.\(name)")
        let group = ServiceGroup(configuration: .init(
            services: try await services(configuration, logger), gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
