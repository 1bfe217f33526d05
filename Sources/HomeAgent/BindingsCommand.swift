import ArgumentParser
import GLMControl

struct BindingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bindings",
        abstract: "Print the running home agent's bindings as JSON (from its control socket); `glmctl bindings` shows a table."
    )

    @Option(help: "The control socket.")
    var socket: String = "/run/glm/home-agent.sock"

    func run() async throws {
        print(String(decoding: try await ControlClient(path: socket).raw(.bindings), as: UTF8.self))
    }
}
