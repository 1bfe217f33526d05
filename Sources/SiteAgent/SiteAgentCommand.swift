import AgentRuntime
import ArgumentParser
import GLMControl
import SiteAgentRuntime

@main
struct SiteAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site-agent",
        abstract: "The GLM site agent: notices VMs arriving on this hypervisor host and registers them with their home agents.",
        version: GLMVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, NotifyCommand.self, StatusCommand.self]
    )
}

/// Options every subcommand that reads the configuration shares.
struct ConfigurationOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "The configuration file (YAML; see Docs/site-agent.md).")
    var config: String = "/etc/glm/site-agent.yaml"
}

/// Options of the subcommands that talk to the running agent.
struct SocketOption: ParsableArguments {
    @Option(help: "The running agent's control socket.")
    var socket: String = SiteAgentConfiguration.defaultControlSocket
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration file and exit; errors name the file, line and reason."
    )

    @OptionGroup var options: ConfigurationOption

    func run() throws {
        do {
            let configuration = try SiteAgentConfiguration.load(path: options.config)
            let vms = configuration.policy.homeAgents.reduce(0) { $0 + $1.vms.count }
            print("\(options.config): ok (\(configuration.policy.homeAgents.count) home agents, \(vms) VMs, bridges \(configuration.bridges.joined(separator: ", ")))")
        } catch {
            print("\(error)")
            throw ExitCode(78)
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the VMs the running site agent knows and their state (JSON, from its control socket)."
    )

    @OptionGroup var socket: SocketOption

    func run() async throws {
        let answer = try await ControlClient(path: socket.socket).raw(.status)
        print(String(decoding: answer, as: UTF8.self))
    }
}
