import AgentRuntime
import ArgumentParser
import HomeAgentRuntime

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the home agent until SIGTERM; SIGHUP reloads the configuration."
    )

    @OptionGroup var options: ConfigurationOption

    @Flag(help: "Signaling only: leave the OS's routes, ARP and tunnels alone.")
    var noDataPlane = false

    func run() async throws {
        let path = options.config
        let noDataPlane = self.noDataPlane
        try await AgentLauncher.run(
            name: "home-agent", load: { try HomeAgentConfiguration.load(path: path) }, logLevel: \.logLevel,
            logFormat: { AgentLogHandler.Format(rawValue: $0.logFormat.rawValue) ?? .text }
        ) { configuration, logger in
            try await HomeAgentRuntime.start(configuration: configuration, configurationPath: path,
                                             dataPlane: !noDataPlane, logger: logger).services
        }
    }
}
