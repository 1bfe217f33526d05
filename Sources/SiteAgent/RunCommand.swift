import AgentRuntime
import ArgumentParser
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
        let path = options.config
        let noDataPlane = self.noDataPlane
        try await AgentLauncher.run(
            name: "site-agent", load: { try SiteAgentConfiguration.load(path: path) }, logLevel: \.logLevel,
            logFormat: { AgentLogHandler.Format(rawValue: $0.logFormat.rawValue) ?? .text }
        ) { configuration, logger in
            SiteAgentRuntime.start(configuration: configuration, configurationPath: path, dataPlane: !noDataPlane,
                                   logger: logger).services
        }
    }
}
