import ArgumentParser
import Foundation
import GLMControl

/// Which agent a command talks to: `--socket`, or the first of the default sockets
/// that exists (the home agent's, then the site agent's).
struct AgentSocket: ParsableArguments {
    @Option(help: "The agent's control socket (default: /run/glm/home-agent.sock, else /run/glm/site-agent.sock).")
    var socket: String?

    @Option(help: "Seconds to wait for the agent's answer.")
    var timeout: Double = 5

    static let defaults = ["/run/glm/home-agent.sock", "/run/glm/site-agent.sock"]

    func validate() throws {
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
    }

    var client: ControlClient {
        ControlClient(path: socket ?? Self.defaults.first { access($0, F_OK) == 0 } ?? Self.defaults[0],
                      deadline: .milliseconds(Int64(timeout * 1000)))
    }
}
