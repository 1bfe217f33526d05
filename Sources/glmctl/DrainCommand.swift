import ArgumentParser
import GLMControl

/// `glmctl drain`: a site agent refuses arrivals, for maintenance of its host.
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Make a running site agent refuse arrivals (maintenance); the VMs on the host stay served until they leave.",
        discussion: """
            While the host drains, the libvirt hook's `migrate` fails, so libvirt aborts migrations \
            to it; migrate its VMs away, then `glmctl status` shows none served. `glmctl undrain` \
            ends the drain. A site agent's restart ends it too.
            """
    )

    @OptionGroup var agent: AgentSocket

    func run() async throws {
        let done: ControlAcknowledgement = try await agent.client.call(.drain)
        print(done.note ?? "draining")
    }
}

/// `glmctl undrain`: the site agent accepts arrivals again.
struct UndrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undrain",
        abstract: "Make a draining site agent accept arrivals again."
    )

    @OptionGroup var agent: AgentSocket

    func run() async throws {
        let done: ControlAcknowledgement = try await agent.client.call(.undrain)
        print(done.note ?? "arrivals accepted")
    }
}
