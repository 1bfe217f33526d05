import ArgumentParser
import Foundation
import GLMWire
import LabNetwork

/// `glm-wan probe`: the correspondent's numbered ICMP echo probes, recorded to a file.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Send numbered ICMP echo requests at a fixed cadence and record every answer.",
        discussion: """
            Runs until SIGTERM or SIGINT (or --duration), then stops sending, waits --grace \
            for late replies, writes the probe log (format: Docs/lab.md, ProbeLog) and exits 0. \
            At SIGUSR1 it writes what it recorded so far to the log's path with ".snapshot" \
            appended, and goes on.
            """
    )

    @Option(help: "The address to probe.")
    var target: String

    @Option(name: .customLong("interval-ms"), help: "The time between two probes' sends, in milliseconds.")
    var intervalMilliseconds = 1.0

    @Option(help: "The file to write the probe log to.")
    var output: String

    @Option(help: "Stop after this many seconds (default: at SIGTERM or SIGINT).")
    var duration: Double?

    @Option(help: "How long to wait for late replies after the last probe, in seconds.")
    var grace = 1.0

    func validate() throws {
        guard IPv4Address(target) != nil else { throw ValidationError("--target \(target) is not an IPv4 address") }
        guard intervalMilliseconds >= 0.01 else { throw ValidationError("--interval-ms must be at least 0.01") }
        guard duration.map({ $0 > 0 }) ?? true else { throw ValidationError("--duration must be positive") }
        guard grace >= 0 else { throw ValidationError("--grace must not be negative") }
    }

    func run() throws {
        var signals = StopSignals.block()
        let prober = try Prober(target: IPv4Address(target)!,
                                interval: .nanoseconds(Int64((intervalMilliseconds * 1e6).rounded())))
        prober.start()
        print("probing \(target) every \(intervalMilliseconds) ms")
        fflush(nil)
        signals.wait(seconds: duration) {
            // Written whole, then renamed into place, as the log is.
            try? Data(prober.snapshot().text.utf8).write(to: URL(fileURLWithPath: output + ".snapshot"), options: .atomic)
        }
        let log = prober.stop(grace: .nanoseconds(Int64(grace * 1e9)))
        // Written whole, then renamed into place: a reader never sees half a log.
        try Data(log.text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        print("probes sent \(log.sentCount) answered \(log.answeredCount) lost \(log.lostCount) duplicates \(log.duplicates)")
    }
}
