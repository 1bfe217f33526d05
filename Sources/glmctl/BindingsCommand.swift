import AgentRuntime
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
        let answer = try await ControlSocketClient.request("bindings", path: socket)
        if json {
            print(String(decoding: answer, as: UTF8.self))
        } else {
            print(try BindingReport.table(fromJSON: answer), terminator: "")
        }
    }
}
