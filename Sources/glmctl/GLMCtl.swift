import ArgumentParser
import GLMControl

@main
struct GLMCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glmctl",
        abstract: "The GLM operator's tool.",
        version: GLMVersion.current,
        subcommands: [StatusCommand.self, WatchCommand.self, BindingsCommand.self, ClusterCommand.self, RevokeCommand.self,
                      DrainCommand.self, UndrainCommand.self, DecodeCommand.self]
    )
}
