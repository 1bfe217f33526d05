import ArgumentParser

@main
struct GLMLab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glm-lab",
        abstract: "The GLM lab: real QEMU VMs live-migrated across emulated WAN sites while traffic flows; home agents failing over.",
        subcommands: [DemoCommand.self, DemoClusterCommand.self],
        defaultSubcommand: DemoCommand.self
    )
}
