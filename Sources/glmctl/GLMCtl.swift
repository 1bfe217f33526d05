import ArgumentParser

@main
struct GLMCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glmctl",
        abstract: "The GLM operator's tool.",
        subcommands: [DecodeCommand.self, BindingsCommand.self, ClusterCommand.self]
    )
}
