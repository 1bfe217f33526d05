import ArgumentParser
import Foundation
import GLMControl

/// `glmctl bindings`: a home agent's binding cache and its preparations.
struct BindingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bindings",
        abstract: "Show a running home agent's bindings, and the preparations (make-before-break) under them."
    )

    @OptionGroup var agent: AgentSocket

    @Flag(help: "Print the agent's JSON array.")
    var json = false

    func run() async throws {
        let client = agent.client
        if json {
            print(String(decoding: try await client.raw(.bindings), as: UTF8.self))
            return
        }
        let bindings: [BindingEntry] = try await client.call(.bindings)
        let now = Date().timeIntervalSince1970
        var lines = [["VM", "ADDRESS", "SITE", "SITE ADDRESS", "FRAMING", "AGE", "EXPIRES IN"]]
        for b in bindings {
            lines.append([b.vm, b.address, b.site, b.siteAddress, b.framing, Columns.duration(now - b.registeredAt),
                          Columns.duration(b.expiresAt - now)])
        }
        print(Columns.table(lines), terminator: "")
        let preparations: [PreparationEntry] = try await client.call(.preparations)
        guard !preparations.isEmpty else { return }
        var prepared = [["PREPARED VM", "ADDRESS", "AT SITE", "SITE ADDRESS", "EXPIRES IN"]]
        for p in preparations {
            prepared.append([p.vm, p.address, p.site, p.siteAddress, Columns.duration(p.expiresAt - now)])
        }
        print("\n" + Columns.table(prepared), terminator: "")
    }
}
