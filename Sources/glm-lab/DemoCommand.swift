import ArgumentParser
import Dispatch
import Foundation
import LabNetwork
import LabScenario
import Synchronization

/// `glm-lab demo`: what `make demo` runs.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Migrate the lab's VMs along a route while the correspondent probes them; print and write the report."
    )

    @Option(help: "Foreign sites (hypervisor hosts), 1-26.")
    var sites = 3

    @Option(name: .customLong("delay-ms"), help: "One-way WAN delay between the home agent and each site, in ms.")
    var delay = 3.0

    @Option(help: "Random loss on each site's WAN link, in percent.")
    var loss = 0.0

    @Option(help: "VMs migrating along the route, one after another, 1-4.")
    var vms = 1

    @Option(help: "The hosts each VM visits: home and sites by letter, comma-separated.")
    var route = "home,a,b,c,home"

    @Option(help: "Where the JSON report goes; the SVG timeline, the summary, the captures and logs go beside it.")
    var report: String?

    @Option(help: "The folder with home-agent, site-agent and glm-wan (default: this program's own folder).")
    var programs: String?

    @Option(help: "The guest image cache (default /var/cache/glm-lab, or $GLM_LAB_CACHE).")
    var cache: String?

    @Option(name: .customLong("settle-ms"), help: "Traffic time between two migrations, in ms.")
    var settle = 1000

    @Option(help: "The passes along the route: announce (QEMU's RARP only), make-before-break (the libvirt hook's incoming first), or both, comma-separated.")
    var modes = "announce,make-before-break"

    func validate() throws {
        guard geteuid() == 0 else { throw ValidationError("the lab needs root (network namespaces, TUN and TAP devices)") }
        _ = try ScenarioOptions.route(route)
    }

    func run() async throws {
        let reportPath = report ?? Self.defaultReport()
        let folder = URL(fileURLWithPath: reportPath).deletingLastPathComponent().path
        var options = ScenarioOptions(programs: programs ?? Self.ownFolder(), output: folder)
        options.sites = sites
        options.oneWayDelay = .microseconds(Int64((delay * 1000).rounded()))
        options.lossPercent = loss
        options.vms = vms
        options.route = try ScenarioOptions.route(route)
        options.cache = cache
        options.settle = .milliseconds(settle)
        options.modes = modes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0 == "mbb" ? ScenarioOptions.makeBeforeBreak : $0 }
        if let problem = options.problem { throw ValidationError(problem) }

        let interruption = Interruption()
        interruption.install()
        let result = try await MigrationScenario.run(options, log: { print("glm-lab: \($0)") }, prepared: { topology in
            interruption.guard(topology)
        })
        interruption.release()

        let json = try result.report.json()
        try json.write(to: URL(fileURLWithPath: reportPath))
        let chart = TimelineChart(report: result.report, probes: result.probes)
        let svg = "\(folder)/timeline.svg"
        try chart.svg.write(toFile: svg, atomically: true, encoding: .utf8)
        let summary = result.report.summary
        try summary.write(toFile: "\(folder)/summary.txt", atomically: true, encoding: .utf8)
        print("")
        print(summary)
        for problem in result.placementProblems { print("glm-lab: warning: \(problem)") }
        for (name, before) in result.configurationBefore.sorted(by: { $0.key < $1.key }) {
            let after = result.configurationAfter[name]
            print("\(name) inside the guest: \(before)" + (after == before ? " (unchanged)" : "; now \(after.map { "\($0)" } ?? "unknown")"))
        }
        print("")
        print("report: \(reportPath)")
        print("timeline: \(svg)")
        print("captures and logs: \(folder)")
    }

    /// `reports/<UTC time>/report.json` under the current folder (git ignores `reports/`).
    static func defaultReport() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return FileManager.default.currentDirectoryPath + "/reports/\(formatter.string(from: Date()))/report.json"
    }

    static func ownFolder() -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }
}

/// SIGINT and SIGTERM during a run: every process the lab started (by PID, namespace by
/// namespace) and every namespace and device it made are removed before the exit.
final class Interruption: Sendable {
    private let topology = Mutex<LabTopology?>(nil)
    // Kept for the life of the process; written once, by `install`.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                print("glm-lab: interrupted; removing the lab")
                topology.withLock { $0?.remove() }
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }

    func `guard`(_ lab: LabTopology) {
        topology.withLock { $0 = lab }
    }

    func release() {
        topology.withLock { $0 = nil }
    }
}
