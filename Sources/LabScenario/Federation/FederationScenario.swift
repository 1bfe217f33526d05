import Foundation
import GLMWire
import LabNetwork
import LabProcesses
import LabVM

/// `make demo` on the federation: real QEMU VMs live-migrated between the hypervisors of
/// two (or more) sites, each the home of its own subnet, while each VM's own site's
/// correspondent probes it every millisecond; a home agent on every site's home-agent host
/// and a site agent on every hypervisor, from operators' files; then the same report as
/// ``MigrationScenario``'s, its hosts named (`A1 (site-a) → B1 (site-b)`).
///
/// 1. The topology (``FederationTopology``: sites of hypervisors, the WAN core with the
///    delay line), the agents (``FederationAgents``), a capture on every home-agent host
///    and every hypervisor.
/// 2. Each VM boots on its route's first hypervisor and answers its console; libvirt's
///    hook's `started` is told to the site agent there (`notify arrived`).
/// 3. The probers start, each VM's from its home site's correspondent. For each mode,
///    one pass: for each step, for each VM in turn, a destination QEMU with `-incoming`
///    on a new tap at the next hypervisor — in make-before-break mode, the hook's
///    `incoming` there first — `migrate`, the source quits, the hook's `departed` at the
///    source; the lab waits until the agents agree on the VM's new place, then lets
///    traffic run. Each pass starts where the previous one ended
///    (``FederationScenarioOptions/walk(_:pass:)``).
/// 4. The guests' configurations are read again; everything stops; the captures, probe
///    logs and QEMU's figures become the report.
public enum FederationScenario {
    /// What a run produced: the report, each record's probes, the guests' own view.
    public typealias Result = MigrationScenario.Result

    /// Runs the scenario. `prepared` hears of the topology as soon as it exists (for a
    /// signal handler to remove it).
    public static func run(
        _ options: FederationScenarioOptions, log: @escaping @Sendable (String) -> Void,
        prepared: @Sendable (FederationTopology) -> Void = { _ in }
    ) async throws -> Result {
        if let problem = options.problem { throw ScenarioError(problem) }
        let ip = try HostTool.locate("ip", package: "iproute2")
        for program in ["home-agent", "site-agent", "glm-wan"]
        where !FileManager.default.isExecutableFile(atPath: "\(options.programs)/\(program)") {
            throw ScenarioError("\(options.programs)/\(program) is missing: build the release programs first (make release)")
        }
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        let image = try await GuestImage.prepare(cache: options.cache, report: log)
        let travellers = options.travellers

        log("building the federation: \(options.sites) sites × \(options.hypervisorsPerSite) hypervisors; "
            + "one-way delay \(options.oneWayDelay.milliseconds) ms per site link")
        let links = (1...options.sites).map { _ in DelayLine.Link(delay: options.oneWayDelay, lossPercent: options.lossPercent) }
        let topology = try await FederationTopology(ip: ip, siteCount: options.sites, hypervisorsPerSite: options.hypervisorsPerSite,
                                                    delayLine: DelayLine.Configuration(home: DelayLine.Link(delay: .zero), sites: links),
                                                    wanProgram: "\(options.programs)/glm-wan")
        prepared(topology)
        var guests: [LabGuest<FederationTopology>] = []
        do {
            var vms: [Int: [VMProfile]] = [:]
            for site in topology.sites { vms[site] = travellers.filter { $0.home == site }.map(\.vm) }
            // The round trip between a hypervisor and a foreign home agent: both sites' links.
            let agents = try await FederationAgents(topology: topology, programs: LabAgents.Programs(folder: options.programs),
                                                    vms: vms, expectedRoundTrip: options.oneWayDelay * 4,
                                                    tunnelImplementation: options.tunnelImplementation)
            var captures: [HostCapture] = []
            for site in topology.sites {
                let host = FederationTopology.Host.homeAgent(site: site)
                captures.append(try await HostCapture(name: "\(host)", namespace: topology.namespace(of: host), spawn: topology.spawn,
                                                      file: "\(options.output)/\(host).pcap"))
            }
            for hypervisor in topology.hypervisors {
                captures.append(try await HostCapture(name: hypervisor.hostName, namespace: topology.namespace(of: hypervisor),
                                                      spawn: topology.spawn, file: "\(options.output)/\(hypervisor).pcap"))
            }

            var before: [String: GuestNetworkConfiguration] = [:]
            var problems: [String] = []
            for (vm, home, route) in travellers {
                let start = route[0]
                log("booting \(vm.name) (\(vm.address), \(vm.mac), home \(vm.gateway)) at \(start) (\(start.siteName))")
                let guest = try await LabGuest.boot(vm, at: start, topology: topology, image: image, folder: "\(options.output)/\(vm.name)")
                guests.append(guest)
                before[vm.name] = try await guest.networkConfiguration()
                // A booting QEMU announces nothing: libvirt's hook tells the site agent on `started`.
                let arrived = try await agents.notify("arrived", vm.mac, at: start)
                if !arrived.succeeded { problems.append("notify arrived at \(start): \(arrived.standardOutput) \(arrived.standardError)") }
                if let problem = await agents.waitForPlacement(vm, home: home, at: start) { problems.append(problem) }
            }
            var probers: [ProbeRun] = []
            for (vm, home, _) in travellers {
                probers.append(try await ProbeRun(vm: vm, from: topology.namespace(of: .correspondent(site: home)), spawn: topology.spawn,
                                                  program: "\(options.programs)/glm-wan", interval: options.probeInterval,
                                                  file: "\(options.output)/\(vm.name).probes"))
            }
            try await Task.sleep(for: options.settle)

            var observations: [MigrationObservation<FederationTopology.Hypervisor>] = []
            var walks: [String: [[String]]] = [:]
            var hop = 0
            var anchors: [String: MigrationAnalysis.Anchor] = [:]
            for (vm, home, _) in travellers { anchors[vm.name] = anchor(home: home, in: topology) }
            let hops = options.modes.indices.map { pass in
                travellers.map { FederationScenarioOptions.walk($0.route, pass: pass).count - 1 }.reduce(0, +)
            }.reduce(0, +)
            var progress = HopProgress(total: hops, anchors: anchors)
            for (pass, mode) in options.modes.enumerated() {
                let passWalks = travellers.map { FederationScenarioOptions.walk($0.route, pass: pass) }
                for (traveller, walk) in zip(travellers, passWalks) { walks[traveller.vm.name, default: []].append(walk.map(\.hostName)) }
                for step in 0..<(passWalks.map(\.count).max()! - 1) {
                    for ((vm, home, _), (guest, walk)) in zip(travellers, zip(guests, passWalks)) where step + 1 < walk.count {
                        hop += 1
                        let (from, to) = (guest.host, walk[step + 1])
                        log("migrating \(vm.name): \(from) (\(from.siteName)) → \(to) (\(to.siteName)) (\(mode))")
                        let outcome = try await guest.migrate(to: to, hop: hop) {
                            // What libvirt's hook does at the destination's `migrate begin`.
                            if mode == ScenarioOptions.makeBeforeBreak, let problem = try await agents.prepare(vm, home: home, at: to) {
                                problems.append(problem)
                                log("  \(problem)")
                            }
                        }
                        // What the hook's `release` does at the host left.
                        let departed = try await agents.notify("departed", vm.mac, at: from)
                        if !departed.succeeded {
                            let problem = "notify departed at \(from): \(departed.standardOutput) \(departed.standardError)"
                            problems.append(problem)
                            log("  \(problem)")
                        }
                        let observation = MigrationObservation(
                            vm: vm, from: from, to: to, mode: mode, started: outcome.requestedAt,
                            sourceStopped: outcome.sourceStoppedAt, resumed: outcome.destinationResumedAt,
                            downtimeMilliseconds: outcome.downtime.milliseconds, totalMilliseconds: outcome.totalTime.milliseconds)
                        observations.append(observation)
                        log("  QEMU: total \(outcome.totalTime.milliseconds) ms, downtime \(outcome.downtime.milliseconds) ms")
                        if let problem = await agents.waitForPlacement(vm, home: home, at: to) {
                            problems.append(problem)
                            log("  \(problem)")
                        }
                        try await Task.sleep(for: options.settle)
                        log(await progress.line(observation, prober: probers.first { $0.vm.name == vm.name }))
                    }
                }
            }

            var after: [String: GuestNetworkConfiguration] = [:]
            for guest in guests {
                // A console that does not answer costs the comparison, not the run's report.
                do {
                    after[guest.profile.name] = try await guest.networkConfiguration()
                } catch {
                    problems.append("\(guest.profile.name)'s console at the end: \(error)")
                    log("  \(guest.profile.name)'s console at the end: \(error)")
                }
            }
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
                parameters: .init(sites: options.sites, oneWayDelayMilliseconds: options.oneWayDelay.milliseconds,
                                  lossPercent: options.lossPercent, vms: travellers.count, route: options.route.map(\.hostName),
                                  modes: options.modes, probeIntervalMilliseconds: options.probeInterval.milliseconds,
                                  hypervisorsPerSite: options.hypervisorsPerSite, routes: walks),
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

    /// What anchors a VM of site `home`: that site's home agent, and the one-way delay from
    /// its correspondent to each hypervisor — none on the home LAN, elsewhere what the
    /// delay line adds between the home agent (whose tunnel carries the VM's traffic) and
    /// the hypervisor: both sites' links.
    static func anchor(home: Int, in topology: FederationTopology) -> MigrationAnalysis.Anchor {
        let homeAgent = FederationTopology.homeAgentWANAddress(site: home)
        var delays: [String: Double] = [:]
        for hypervisor in topology.hypervisors {
            guard hypervisor.site != home, let line = topology.delayLine, let from = IPv4Address(homeAgent),
                  let to = IPv4Address(hypervisor.wanAddress) else {
                delays[hypervisor.hostName] = 0
                continue
            }
            delays[hypervisor.hostName] = line.delay(from: from, to: to).milliseconds / 1000
        }
        return MigrationAnalysis.Anchor(siteName: FederationAgentConfiguration.siteName(home),
                                        homeAgent: "\(FederationTopology.Host.homeAgent(site: home))",
                                        homeAgentAddress: homeAgent, oneWayDelays: delays)
    }
}
