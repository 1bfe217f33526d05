import ArgumentParser

@main
struct GLMCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glmctl",
        abstract: "The GLM operator's tool.",
        subcommands: [DecodeCommand.self]
    )
}
