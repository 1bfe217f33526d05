import ArgumentParser
import Foundation
import LabNetwork
import LabScenario

/// `glm-lab demo`: what `make demo` runs. By default the federation (two sites of two
/// hypervisors, a1 of site A travelling A1 → B1 → B2 → A2 and back); with
/// `--single-origin`, the older lab of one origin site and single-host foreign sites.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Migrate the lab's VMs along a route while correspondents probe them; print and write the report."
    )

    @Flag(name: .customLong("single-origin"),
          help: "The single-origin lab: one home whose home-agent host is its only hypervisor, and single-host foreign sites.")
    var singleOrigin = false

    @Option(help: "Sites: the federation's, 2-26 (default 2); with --single-origin, foreign sites, 1-26 (default 3).")
    var sites: Int?

    @Option(help: "The federation's hypervisors per site, 1-9.")
    var hypervisors = 2

    @Option(name: .customLong("delay-ms"), help: "One-way delay of each site's WAN link, in ms.")
    var delay = 3.0

    @Option(help: "Random loss on each site's WAN link, in percent.")
    var loss = 0.0

    @Option(help: "The hypervisors a1 visits (default A1,B1,B2,A2); with --single-origin, home and sites by letter (default home,a,b,c,home).")
    var route: String?

    @Flag(help: "Two VMs from two homes crossing: b1 (home: site B) migrates in turn with a1 along --crossing-route.")
    var crossing = false

    @Option(name: .customLong("crossing-route"), help: "The hypervisors b1 visits with --crossing.")
    var crossingRoute = "B1,A2,A1,B2"

    @Option(help: "With --single-origin: VMs migrating along the route, one after another, 1-4.")
    var vms = 1

    @Option(help: "Where the JSON report goes (default reports/<UTC time>.json); the SVG timeline, the summary, the captures and logs go in a folder beside it named after it.")
    var report: String?

    @Option(help: "The folder with home-agent, site-agent and glm-wan (default: this program's own folder).")
    var programs: String?

    @Option(help: "The guest image cache (default /var/cache/glm-lab, or $GLM_LAB_CACHE).")
    var cache: String?

    @Option(help: "The agents' tunnel data plane: auto (eBPF where the kernel runs it), ebpf or user-space.")
    var tunnel: String?

    @Option(name: .customLong("settle-ms"), help: "Traffic time between two migrations, in ms.")
    var settle = 1000

    @Option(help: "The passes: announce (QEMU's RARP only), make-before-break (the libvirt hook's incoming first), or both, comma-separated; in the federation each pass starts where the previous ended.")
    var modes = "announce,make-before-break"

    func validate() throws {
        guard geteuid() == 0 else { throw ValidationError("the lab needs root (network namespaces, TUN and TAP devices)") }
        if let tunnel, !["auto", "ebpf", "user-space"].contains(tunnel) {
            throw ValidationError("--tunnel \(tunnel): auto, ebpf or user-space")
        }
        if singleOrigin {
            if crossing { throw ValidationError("--crossing is the federation's (leave out --single-origin)") }
            _ = try ScenarioOptions.route(route ?? "home,a,b,c,home")
        } else {
            if vms != 1 { throw ValidationError("--vms is the single-origin lab's; the federation's second VM comes with --crossing") }
            _ = try FederationScenarioOptions.route(route ?? "A1")
            _ = try FederationScenarioOptions.route(crossingRoute)
        }
    }

    func run() async throws {
        let location = try ReportLocation(report: report)
        let (reportPath, folder) = (location.report, location.folder)
        let passes = modes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { $0 == "mbb" ? ScenarioOptions.makeBeforeBreak : $0 }
        let oneWayDelay = Duration.microseconds(Int64((delay * 1000).rounded()))
        let log: @Sendable (String) -> Void = { print("glm-lab: \($0)") }
        let interruption = Interruption()
        interruption.install()
        let result: MigrationScenario.Result
        if singleOrigin {
            var options = ScenarioOptions(programs: programs ?? Self.ownFolder(), output: folder)
            options.sites = sites ?? 3
            options.oneWayDelay = oneWayDelay
            options.lossPercent = loss
            options.vms = vms
            if let route { options.route = try ScenarioOptions.route(route) }
            options.cache = cache
            options.settle = .milliseconds(settle)
            options.modes = passes
            options.tunnelImplementation = tunnel
            if let problem = options.problem { throw ValidationError(problem) }
            result = try await MigrationScenario.run(options, log: log, prepared: { interruption.guard($0) })
        } else {
            var options = FederationScenarioOptions(programs: programs ?? Self.ownFolder(), output: folder)
            options.sites = sites ?? 2
            options.hypervisorsPerSite = hypervisors
            options.oneWayDelay = oneWayDelay
            options.lossPercent = loss
            if let route { options.route = try FederationScenarioOptions.route(route) }
            options.crossing = crossing
            options.crossingRoute = try FederationScenarioOptions.route(crossingRoute)
            options.cache = cache
            options.settle = .milliseconds(settle)
            options.modes = passes
            options.tunnelImplementation = tunnel
            if let problem = options.problem { throw ValidationError(problem) }
            result = try await FederationScenario.run(options, log: log, prepared: { interruption.guard($0) })
        }
        interruption.release()
        try write(result, report: reportPath, folder: folder)
    }

    /// Writes the JSON report, the SVG timeline and the summary, and prints the summary.
    func write(_ result: MigrationScenario.Result, report reportPath: String, folder: String) throws {
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

    static func ownFolder() -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }
}
