import ArgumentParser
import HomeAgentRuntime

/// `glmctl bindings`: the home agent's binding cache, from its control socket.
struct BindingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bindings",
        abstract: "Show a running home agent's bindings."
    )

    @Option(help: "The home agent's control socket.")
    var socket: String = "/run/glm/home-agent.sock"

    @Flag(help: "Print the JSON array as the agent sends it.")
    var json = false

    func run() async throws {
        print(try await BindingReport.fetch(socket: socket, json: json), terminator: "")
    }
}
