import ArgumentParser
import Foundation
import LabScenario

/// `glm-lab demo-cluster`: what `make demo-cluster` runs. Site A's home agents as a
/// cluster of two on etcd, its VM away at B1 and probed every millisecond, the serving
/// member killed `--kills` times, each failover measured.
struct DemoClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-cluster",
        abstract: "Kill the serving member of a cluster of home agents while its VM abroad is probed; print and write the report."
    )

    @Option(name: .customLong("delay-ms"), help: "One-way delay of each site's WAN link, in ms.")
    var delay = 3.0

    @Option(help: "How many times the serving member is killed (the member killed comes back after each), 1-20.")
    var kills = 2

    @Option(help: "Where the JSON report goes (default reports/<UTC time>.json); the SVG timeline, the summary, the probe logs and the agents' logs go in a folder beside it named after it.")
    var report: String?

    @Option(help: "The folder with home-agent, site-agent, glm-wan and glm-tunnel-probe (default: this program's own folder).")
    var programs: String?

    func validate() throws {
        guard geteuid() == 0 else { throw ValidationError("the lab needs root (network namespaces, TUN devices)") }
        guard (1...20).contains(kills) else { throw ValidationError("--kills must be 1-20") }
    }

    func run() async throws {
        let location = try ReportLocation(report: report)
        let (reportPath, folder) = (location.report, location.folder)
        var options = ClusterScenarioOptions(programs: programs ?? DemoCommand.ownFolder(), output: folder)
        options.oneWayDelay = .microseconds(Int64((delay * 1000).rounded()))
        options.kills = kills
        if let problem = options.problem { throw ValidationError(problem) }
        let log: @Sendable (String) -> Void = { print("glm-lab: \($0)") }
        let kills = self.kills
        let interruption = Interruption()
        interruption.install()
        let result = try await ClusterScenario.run(options, log: log, failover: { print($1.line($0, of: kills)) },
                                                   prepared: { interruption.guard($0) })
        interruption.release()

        try result.report.json().write(to: URL(fileURLWithPath: reportPath))
        let chart = TimelineChart(report: result.report, probes: [], failoverProbes: result.probes)
        let svg = "\(folder)/timeline.svg"
        try chart.svg.write(toFile: svg, atomically: true, encoding: .utf8)
        let summary = result.report.summary
        try summary.write(toFile: "\(folder)/summary.txt", atomically: true, encoding: .utf8)
        print("")
        print(summary)
        for problem in result.problems { print("glm-lab: warning: \(problem)") }
        print("")
        print("report: \(reportPath)")
        print("timeline: \(svg)")
        print("probe logs and agents' logs: \(folder)")
    }
}
