import AgentRuntime
import ArgumentParser

@main
struct GLMCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glmctl",
        abstract: "The GLM operator's tool.",
        version: GLMVersion.current,
        subcommands: [DecodeCommand.self, BindingsCommand.self, ClusterCommand.self]
    )
}
