import ArgumentParser
import HomeAgentRuntime

/// `glmctl cluster`: a cluster member's view: who serves, its lease, its peers.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Show a home agent's cluster: who serves, the lease's health, the members."
    )

    @Option(help: "The home agent's control socket.")
    var socket: String = "/run/glm/home-agent.sock"

    @Flag(help: "Print the JSON object as the agent sends it.")
    var json = false

    func run() async throws {
        print(try await ClusterReport.fetch(socket: socket, json: json), terminator: "")
    }
}
