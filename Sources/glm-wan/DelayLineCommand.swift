import ArgumentParser
import Foundation
import LabNetwork

/// `glm-wan delay-line`: holds every packet the WAN core forwards for its links' delays.
struct DelayLineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delay-line",
        abstract: "Delay (and optionally drop) the WAN core's packets through a TUN device.",
        discussion: """
            Opens the TUN device, prints "delay line DEVICE up", and runs until SIGTERM or \
            SIGINT; then prints "delay line counters: forwarded N dropped_loss N \
            dropped_overflow N failed_writes N" and exits 0. The caller brings the device \
            up and routes into it (LabTopology does). See Docs/lab.md.
            """
    )

    @Option(help: "The TUN device to create.")
    var device = "dl0"

    @Option(name: .customLong("link"),
            help: "A link's one-way delay in ms and loss in percent: home=0, site1=3, site2=10,loss=5. Repeatable; unnamed links add nothing.")
    var links: [String] = []

    @Option(help: "How many packets the delay line holds at most; more are dropped and counted.")
    var capacity = 4096

    func validate() throws {
        guard capacity > 0 else { throw ValidationError("--capacity must be positive") }
        do {
            _ = try DelayLine.Configuration(links: links)
        } catch {
            throw ValidationError("--link \(error)")
        }
    }

    func run() throws {
        var signals = StopSignals.block()
        let configuration = try DelayLine.Configuration(links: links)
        let delayLine = try DelayLine(configuration: configuration, interfaceName: device, capacity: capacity)
        delayLine.start()
        print("delay line \(delayLine.interfaceName) up: \(configuration.arguments.joined(separator: " "))")
        fflush(nil)
        signals.wait()
        print(delayLine.stop().line)
        fflush(nil)
    }
}
