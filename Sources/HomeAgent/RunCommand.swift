import ArgumentParser
import Foundation
import HomeAgentRuntime
import Logging
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the home agent until SIGTERM; SIGHUP reloads the configuration."
    )

    @OptionGroup var options: ConfigurationOption

    @Flag(help: "Signaling only: leave the OS's routes, ARP and tunnels alone.")
    var noDataPlane = false

    func run() async throws {
        let configuration: HomeAgentConfiguration
        do {
            configuration = try HomeAgentConfiguration.load(path: options.config)
        } catch {
            FileHandle.standardError.write(Data("home-agent: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "glm.home-agent")
        let runtime = try await HomeAgentRuntime.start(configuration: configuration, configurationPath: options.config,
                                                       dataPlane: !noDataPlane, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: runtime.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
