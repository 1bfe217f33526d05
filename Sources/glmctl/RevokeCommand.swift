import ArgumentParser
import GLMControl

/// `glmctl revoke VM`: an operator removes a VM's binding at its home agent.
struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Remove a VM's binding at a running home agent; its site is told by a revocation (BRI).",
        discussion: "The VM's traffic stops reaching it away from home until its site registers it again (its next move or announce)."
    )

    @Argument(help: "The VM's MAC address, as 52:54:00:12:34:56.")
    var vm: String

    @OptionGroup var agent: AgentSocket

    func validate() throws {
        let octets = vm.split(separator: ":")
        guard octets.count == 6, octets.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else {
            throw ValidationError("VM must be a MAC address such as 52:54:00:12:34:56, not '\(vm)'")
        }
    }

    func run() async throws {
        let done: ControlAcknowledgement = try await agent.client.call(.revoke(vm))
        print("\(vm): \(done.note ?? "revoked")")
    }
}
