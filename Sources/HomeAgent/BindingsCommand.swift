import ArgumentParser
import Foundation
import HomeAgentRuntime

struct BindingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bindings",
        abstract: "Show the running home agent's bindings (read from its control socket)."
    )

    @Option(help: "The control socket.")
    var socket: String = "/run/glm/home-agent.sock"

    @Flag(help: "Print the JSON array as the agent sends it.")
    var json = false

    func run() async throws {
        print(try await BindingReport.fetch(socket: socket, json: json), terminator: "")
    }
}
