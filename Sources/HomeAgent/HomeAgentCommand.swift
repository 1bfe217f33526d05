import AgentRuntime
import ArgumentParser
import GLMControl
import HomeAgentRuntime

@main
struct HomeAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "home-agent",
        abstract: "The GLM home agent: anchors the VMs of an origin site while they run elsewhere.",
        version: GLMVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, BindingsCommand.self, NotifyCommand.self]
    )
}

/// Options every subcommand that reads the configuration shares.
struct ConfigurationOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "The configuration file (YAML; see Docs/home-agent.md).")
    var config: String = "/etc/glm/home-agent.yaml"
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration file and exit; errors name the file, line and reason."
    )

    @OptionGroup var options: ConfigurationOption

    func run() throws {
        do {
            let configuration = try HomeAgentConfiguration.load(path: options.config)
            print("\(options.config): ok (\(configuration.policy.sites.count) sites, \(configuration.policy.vms.count) VMs)")
        } catch {
            print("\(error)")
            throw ExitCode(78)
        }
    }
}
