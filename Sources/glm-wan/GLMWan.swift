import ArgumentParser

/// The WAN's programs, run inside the lab's namespaces with `ip netns exec`: the delay
/// line in the WAN core router's namespace, the prober in the correspondent's.
///
/// Both are synchronous commands: their work runs on dedicated threads and the main
/// thread waits for SIGTERM or SIGINT (see ``StopSignals``).
@main
struct GLMWan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glm-wan",
        abstract: "The GLM lab's WAN: the delay line and the correspondent's prober.",
        subcommands: [DelayLineCommand.self, ProbeCommand.self]
    )
}
