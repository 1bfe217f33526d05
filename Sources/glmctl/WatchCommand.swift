import ArgumentParser
import Foundation
import GLMControl

/// `glmctl watch`: an agent's events as they happen, a line each.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a running agent's events: registrations, moves, revocations, refusals, preparations, peers.",
        discussion: "Runs until interrupted, or until the agent stops (exit status 1)."
    )

    @OptionGroup var agent: AgentSocket

    @Flag(help: "Print each event as the agent's JSON object, one a line.")
    var json = false

    @Option(help: "Stop after this many events.")
    var count: Int?

    func run() async throws {
        var seen = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for try await event in try await agent.client.watch() {
            if json {
                print(String(decoding: try encoder.encode(event), as: UTF8.self))
            } else {
                let subject = [event.vm, event.peer].compactMap { $0 }.joined(separator: " ")
                print("\(formatter.string(from: Date(timeIntervalSince1970: event.time))) \(event.kind.rawValue) \(subject)"
                      + (subject.isEmpty ? "" : ":") + " \(event.detail)")
            }
            fflush(nil)
            seen += 1
            if let count, seen >= count { return }
        }
        FileHandle.standardError.write(Data("glmctl watch: the agent closed the stream (it stopped)\n".utf8))
        throw ExitCode.failure
    }
}
