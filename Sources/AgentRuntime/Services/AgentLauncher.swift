import Foundation
import Logging
import ServiceLifecycle

/// How an agent's `run` command starts: load the configuration (a bad file ends the
/// process with status 78, EX_CONFIG, and `name: file:line: reason` on standard error),
/// log to standard error at the configured level and in the configured format (with
/// journald's priorities when standard error is the journal), then run the agent's
/// services until SIGTERM or SIGINT.
public enum AgentLauncher {
    public static func run<Configuration>(
        name: String,
        load: () throws -> Configuration,
        logLevel: (Configuration) -> Logger.Level,
        logFormat: (Configuration) -> AgentLogHandler.Format = { _ in .text },
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
        let format = logFormat(configuration)
        let journal = AgentLogHandler.standardErrorIsJournal
        LoggingSystem.bootstrap { label in
            AgentLogHandler(label: label, level: level, format: format, journal: journal)
        }
        let logger = Logger(label: "glm.\(name)")
        let group = ServiceGroup(configuration: .init(
            services: try await services(configuration, logger), gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
