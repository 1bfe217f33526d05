import ArgumentParser
import Foundation
import GLMControl

/// `glmctl status`: either agent's view of its peers, as a table or JSON.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a running agent's peers: at a home agent each site and its hosts, at a site agent each home agent.",
        discussion: """
            Each peer is up (it answers heartbeats), down (its heartbeats went unanswered for the \
            heartbeat timeout), refused (its messages fail authentication: the keys or SPIs differ) \
            or idle (nothing exchanged yet; a home agent heartbeats only hosts that hold its bindings). \
            The exit status is 0 when every peer is up or idle, 1 when one is down or refused, \
            and 2 when the agent cannot be asked (no answer within --timeout, or a refusal).
            """
    )

    @OptionGroup var agent: AgentSocket

    @Flag(help: "Print the agent's JSON answer.")
    var json = false

    func run() async throws {
        let bytes: [UInt8]
        do {
            bytes = try await agent.client.raw(.status)
        } catch {
            throw Self.unasked("\(error)")
        }
        if let failure = try? JSONDecoder().decode(ControlFailure.self, from: Data(bytes)) {
            throw Self.unasked(failure.error)
        }
        if json { print(String(decoding: bytes, as: UTF8.self)) }
        let healthy: Bool
        if let home = try? JSONDecoder().decode(HomeAgentStatus.self, from: Data(bytes)) {
            if !json { print(StatusTable.text(home), terminator: "") }
            healthy = home.sites.allSatisfy { [.up, .idle].contains($0.health.state) }
        } else if let site = try? JSONDecoder().decode(SiteAgentStatus.self, from: Data(bytes)) {
            if !json { print(StatusTable.text(site), terminator: "") }
            healthy = site.homeAgents.allSatisfy { [.up, .idle].contains($0.health.state) }
        } else {
            throw Self.unasked("the agent's answer is no status this glmctl reads: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        if !healthy { throw ExitCode.failure }
    }

    /// Says why on standard error; the exit status 2.
    static func unasked(_ reason: String) -> ExitCode {
        FileHandle.standardError.write(Data("glmctl status: \(reason)\n".utf8))
        return ExitCode(2)
    }
}
