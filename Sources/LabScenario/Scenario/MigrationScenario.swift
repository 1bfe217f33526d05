import Foundation
import LabNetwork
import LabProcesses
import LabVM

/// The lab's main job: real QEMU VMs live-migrated along a route across emulated WAN
/// sites while the correspondent on the home LAN probes each every millisecond, with the
/// agents run as an operator runs them; then the report.
///
/// 1. The topology (home, correspondent, WAN core with the delay line, the sites), the
///    agents with the configurations the lab writes, a capture on every host.
/// 2. Each VM boots where its route starts (a tap on that host's bridge) and answers its
///    console; its network configuration is read there.
/// 3. The probers start. For each hop, for each VM in turn: a destination QEMU with
///    `-incoming` on a new tap at the next host, `migrate` over QMP, the source quits;
///    the lab waits until the agents agree on the VM's new place, then lets traffic run.
/// 4. The guests' configurations are read again; everything stops; the captures, probe
///    logs and QEMU's figures become the report.
public enum MigrationScenario {
    /// What a run produced.
    public struct Result: Sendable {
        public var report: LabReport
        /// Each record's probes, for the chart.
        public var probes: [[ProbeSample]]
        /// Each VM's network configuration as its guest reported it at the start and at the end.
        public var configurationBefore: [String: GuestNetworkConfiguration]
        public var configurationAfter: [String: GuestNetworkConfiguration]
        /// Steps where the agents did not agree on a VM's place in time (none in a good run).
        public var placementProblems: [String]
        public var folder: String
    }

    /// Runs the scenario. `prepared` hears of the topology as soon as it exists (for a
    /// signal handler to remove it); `afterEach` runs after each migration once the
    /// agents agree, with the lab still up (the tests check the agents' state there).
    public static func run(
        _ options: ScenarioOptions, log: @escaping @Sendable (String) -> Void,
        prepared: @Sendable (LabTopology) -> Void = { _ in },
        afterEach: (@Sendable (MigrationObservation<LabTopology.Host>, LabAgents) async throws -> Void)? = nil
    ) async throws -> Result {
        if let problem = options.problem { throw ScenarioError(problem) }
        let ip = try HostTool.locate("ip", package: "iproute2")
        for program in ["home-agent", "site-agent", "glm-wan"]
        where !FileManager.default.isExecutableFile(atPath: "\(options.programs)/\(program)") {
            throw ScenarioError("\(options.programs)/\(program) is missing: build the release programs first (make release)")
        }
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        let image = try await GuestImage.prepare(cache: options.cache, report: log)
        let profiles = VMProfile.lab(count: options.vms)
        let delay = options.oneWayDelay.milliseconds / 1000

        log("building the lab: home, correspondent, WAN core, \(options.sites) sites; one-way delay \(delay * 1000) ms")
        let links = (1...options.sites).map { _ in DelayLine.Link(delay: options.oneWayDelay, lossPercent: options.lossPercent) }
        let topology = try await LabTopology(ip: ip, siteCount: options.sites,
                                             delayLine: DelayLine.Configuration(home: DelayLine.Link(delay: .zero), sites: links),
                                             wanProgram: "\(options.programs)/glm-wan")
        prepared(topology)
        var guests: [LabGuest<LabTopology>] = []
        do {
            let agents = try await LabAgents(topology: topology, programs: LabAgents.Programs(folder: options.programs),
                                             vms: profiles, expectedRoundTrip: options.oneWayDelay * 2,
                                             tunnelImplementation: options.tunnelImplementation)
            var captures: [HostCapture] = []
            for host in topology.hosts {
                captures.append(try await HostCapture(host: host, topology: topology,
                                                      file: "\(options.output)/\(host.reportName).pcap"))
            }
            let start = options.route[0]
            var before: [String: GuestNetworkConfiguration] = [:]
            for profile in profiles {
                log("booting \(profile.name) (\(profile.address), \(profile.mac)) at \(start.reportName)")
                let guest = try await LabGuest.boot(profile, at: start, topology: topology, image: image,
                                                    folder: "\(options.output)/\(profile.name)")
                guests.append(guest)
                before[profile.name] = try await guest.networkConfiguration()
                if case .site = start {
                    // A guest started at a site: what the libvirt hook's `started` does.
                    try await agents.notifyArrived(profile.mac, at: start)
                }
            }
            var problems: [String] = []
            for profile in profiles {
                if let problem = await agents.waitForPlacement(profile, at: start, leaving: nil) { problems.append(problem) }
            }
            var probers: [ProbeRun] = []
            for profile in profiles {
                probers.append(try await ProbeRun(vm: profile, from: topology.cn, spawn: topology.spawn,
                                                  program: "\(options.programs)/glm-wan", interval: options.probeInterval,
                                                  file: "\(options.output)/\(profile.name).probes"))
            }
            try await Task.sleep(for: options.settle)

            var observations: [MigrationObservation<LabTopology.Host>] = []
            var hop = 0
            let anchors = Dictionary(uniqueKeysWithValues: profiles.map { ($0.name, Self.anchor(options: options, delay: delay)) })
            var progress = HopProgress(total: options.modes.count * (options.route.count - 1) * guests.count, anchors: anchors)
            for mode in options.modes {
                for (from, to) in zip(options.route, options.route.dropFirst()) {
                    hop += 1
                    for guest in guests {
                        log("migrating \(guest.profile.name): \(from.reportName) → \(to.reportName) (\(mode))")
                        let outcome = try await guest.migrate(to: to, hop: hop) {
                            // What libvirt's hook does at the destination's `migrate begin`.
                            if mode == ScenarioOptions.makeBeforeBreak, let problem = try await agents.prepare(guest.profile, at: to) {
                                log("  \(problem)")
                            }
                        }
                        let observation = MigrationObservation(
                            vm: guest.profile, from: from, to: to, mode: mode, started: outcome.requestedAt,
                            sourceStopped: outcome.sourceStoppedAt, resumed: outcome.destinationResumedAt,
                            downtimeMilliseconds: outcome.downtime.milliseconds,
                            totalMilliseconds: outcome.totalTime.milliseconds)
                        observations.append(observation)
                        log("  QEMU: total \(outcome.totalTime.milliseconds) ms, downtime \(outcome.downtime.milliseconds) ms")
                        if let problem = await agents.waitForPlacement(guest.profile, at: to, leaving: from) {
                            problems.append(problem)
                            log("  \(problem)")
                        }
                        try await afterEach?(observation, agents)
                        try await Task.sleep(for: options.settle)
                        log(await progress.line(observation, prober: probers.first { $0.vm.name == guest.profile.name }))
                    }
                }
            }

            var after: [String: GuestNetworkConfiguration] = [:]
            for guest in guests { after[guest.profile.name] = try await guest.networkConfiguration() }
            var logs: [String: ProbeLog] = [:]
            for prober in probers { logs[prober.vm.name] = try await prober.stop() }
            for capture in captures { await capture.stop() }
            await agents.stop()
            for guest in guests { await guest.stop() }
            if let counters = await topology.stopDelayLine() { log("delay line: \(counters.line)") }
            try? FileManager.default.copyItem(atPath: agents.folder, toPath: "\(options.output)/agents")

            var traces: [String: SignalingTrace] = [:]
            for capture in captures { traces[capture.name] = try SignalingTrace(capture: capture.file) }
            let analysed = MigrationAnalysis(traces: traces, probes: logs, anchors: anchors).records(observations)
            let report = LabReport(
                parameters: .init(sites: options.sites, oneWayDelayMilliseconds: delay * 1000, lossPercent: options.lossPercent,
                                  vms: options.vms, route: options.route.map(\.reportName), modes: options.modes,
                                  probeIntervalMilliseconds: options.probeInterval.milliseconds),
                started: observations.first?.started ?? Date().timeIntervalSince1970, finished: Date().timeIntervalSince1970,
                migrations: analysed.map(\.0))
            topology.remove()
            return Result(report: report, probes: analysed.map(\.1), configurationBefore: before, configurationAfter: after,
                          placementProblems: problems, folder: options.output)
        } catch {
            for guest in guests { guest.kill() }
            topology.remove()
            throw error
        }
    }

    /// Every VM is anchored at the home host, its correspondent on the home LAN; each
    /// site is `delay` seconds away, one way.
    static func anchor(options: ScenarioOptions, delay: Double) -> MigrationAnalysis.Anchor {
        var delays: [String: Double] = [LabTopology.Host.home.hostName: 0]
        for site in 1...options.sites { delays[LabTopology.Host.site(site).hostName] = delay }
        return MigrationAnalysis.Anchor(siteName: LabTopology.Host.home.siteName, homeAgent: LabTopology.Host.home.hostName,
                                        homeAgentAddress: LabTopology.Host.home.wanAddress, oneWayDelays: delays)
    }
}
