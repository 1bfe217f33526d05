import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SiteAgentRuntime

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the site agent until SIGTERM."
    )

    @OptionGroup var options: ConfigurationOption

    @Flag(help: "Signaling only: register VMs but leave the OS's routes, ARP and tunnels alone.")
    var noDataPlane = false

    func run() async throws {
        let configuration: SiteAgentConfiguration
        do {
            configuration = try SiteAgentConfiguration.load(path: options.config)
        } catch {
            FileHandle.standardError.write(Data("site-agent: \(error)\n".utf8))
            throw ExitCode(78)
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "glm.site-agent")
        let runtime = SiteAgentRuntime.start(configuration: configuration, dataPlane: !noDataPlane, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: runtime.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
