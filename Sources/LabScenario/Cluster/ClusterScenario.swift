import Foundation
import LabNetwork
import LabProcesses
import LabVM

/// `make demo-cluster`: site A's home agents as a cluster of two on a three-member etcd,
/// its VM away at hypervisor B1, probed every millisecond from site A's correspondent,
/// while the member serving it is killed again and again; then the report of each
/// failover.
///
/// 1. The topology (``FederationTopology`` with a cluster on site A: two sites of one
///    hypervisor each, the WAN core with the delay line), etcd in its three namespaces,
///    both members and B1's site agent from operators' files (``ClusterAgents``).
/// 2. a1 of site A, a namespace VM, resumes at B1: its announce, as QEMU sends it, makes
///    B1 register it with the cluster; the lab waits until the serving member binds it
///    and the standby sees the binding in etcd.
/// 3. Each round: a prober from site A's correspondent; the member serving (its control
///    socket's `cluster` answer) and its bindings; its machine crashed
///    (``FederationTopology/crash(_:)``); the other member asked every 5 ms until it
///    serves; its bindings 2 s later; the machine killed brought back and its home agent
///    started again, until it is a standby hearing its peer; the prober stopped. The
///    round's probe log gives its traffic gap and losses.
/// 4. Everything stops; etcd's processes and data go with the lab.
public enum ClusterScenario {
    /// What a run produced.
    public struct Result: Sendable {
        public var report: LabReport
        /// Each failover's probes, for the chart.
        public var probes: [[ProbeSample]]
        /// What did not go as a cluster should (none in a good run): a binding changed,
        /// two members answering, losses outside the failover's gap, a site agent that
        /// registered again.
        public var problems: [String]
        public var folder: String
    }

    /// Runs the scenario. `failover` hears of each failover as its round ends (its
    /// number from 1, and its record); `prepared` hears of the topology as soon as it
    /// exists (for a signal handler to remove it).
    public static func run(
        _ options: ClusterScenarioOptions, log: @escaping @Sendable (String) -> Void,
        failover: @Sendable (Int, FailoverRecord) -> Void = { _, _ in },
        prepared: @Sendable (FederationTopology) -> Void = { _ in }
    ) async throws -> Result {
        if let problem = options.problem { throw ScenarioError(problem) }
        let ip = try HostTool.locate("ip", package: "iproute2")
        for program in ["home-agent", "site-agent", "glm-wan", "glm-tunnel-probe"]
        where !FileManager.default.isExecutableFile(atPath: "\(options.programs)/\(program)") {
            throw ScenarioError("\(options.programs)/\(program) is missing: build the release programs first (make release)")
        }
        guard EtcdCluster.etcdPath != nil, EtcdCluster.etcdctlPath != nil else {
            throw ScenarioError("etcd is not installed (scripts/install-deps.sh installs etcd-server and etcd-client)")
        }
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        let started = Date().timeIntervalSince1970
        let layout = ClusterScenarioOptions.layout
        let vm = ClusterScenarioOptions.vm
        let hypervisor = ClusterScenarioOptions.hypervisor

        log("building the federation: 2 sites × 1 hypervisor, site A's home agents as a cluster of \(layout.members) "
            + "on a \(layout.etcdMembers)-member etcd; one-way delay \(options.oneWayDelay.milliseconds) ms per site link")
        let link = DelayLine.Link(delay: options.oneWayDelay)
        let topology = try await FederationTopology(ip: ip, siteCount: 2, hypervisorsPerSite: 1,
                                                    delayLine: DelayLine.Configuration(home: DelayLine.Link(delay: .zero),
                                                                                       sites: [link, link]),
                                                    wanProgram: "\(options.programs)/glm-wan", cluster: layout)
        prepared(topology)
        var etcd: EtcdCluster?
        var agents: ClusterAgents?
        do {
            let etcdHosts = topology.etcdHosts
            let cluster = try await EtcdCluster.start(
                members: etcdHosts.count,
                addresses: (1...etcdHosts.count).map { FederationTopology.etcdAddress(site: 1, index: $0) },
                commandPrefixes: etcdHosts.map { [ip, "netns", "exec", topology.namespace(of: $0)] },
                folder: topology.file("etcd"))
            etcd = cluster
            log("etcd: \(cluster.clientURLs.joined(separator: ", "))")
            // The round trip between B1 and the cluster's service address: both sites' links.
            let running = try ClusterAgents(topology: topology, programs: LabAgents.Programs(folder: options.programs),
                                            hypervisor: hypervisor, vms: [vm], etcdEndpoints: cluster.clientURLs,
                                            expectedRoundTrip: options.oneWayDelay * 4)
            agents = running
            let members = topology.clusterMembers
            for member in members { try running.start(member) }
            guard let first = await running.servingMember(among: members, timeout: .seconds(30)) else {
                throw ScenarioError("no member serves the cluster:\n\(running.logTails())")
            }
            log("\(first) serves the cluster")
            try await running.startSiteAgent()

            // a1 resumes at B1, and B1 registers it with its home: site A's cluster.
            let port = try await topology.attachVethVM(name: vm.name, mac: vm.mac, address: "\(vm.address)/\(vm.prefixLength)",
                                                       gateway: vm.gateway, at: hypervisor)
            let announce = try await topology.run(port.namespace, ["\(options.programs)/glm-tunnel-probe", "announce",
                                                                   "--interface", "eth0", "--mac", vm.mac, "--count", "3",
                                                                   "--interval-ms", "20", "--guest-address", vm.address])
            guard announce.succeeded else { throw ScenarioError("\(vm.name)'s announce at \(hypervisor): \(announce.standardError)") }
            let bound = await waitUntil(timeout: .seconds(10)) {
                var views: [[String: String]] = []
                for member in members { views.append((try? await running.bindings(member)) ?? [:]) }
                return views.allSatisfy { $0[vm.mac] != nil && $0 == views[0] }
            }
            guard bound else { throw ScenarioError("\(vm.name) was not bound at the cluster within 10 s:\n\(running.logTails())") }
            log("\(vm.name) (\(vm.address), \(vm.mac)) is away at \(hypervisor) (site-b), bound at \(first) and in etcd")

            var records: [FailoverRecord] = []
            var samples: [[ProbeSample]] = []
            var problems: [String] = []
            for round in 1...options.kills {
                let prober = try await ProbeRun(vm: vm, from: topology.namespace(of: .correspondent(site: 1)), spawn: topology.spawn,
                                                program: "\(options.programs)/glm-wan", interval: options.probeInterval,
                                                file: "\(options.output)/\(vm.name).failover\(round).probes")
                try await Task.sleep(for: options.settle)
                guard let killed = await running.servingMember(among: members, timeout: .seconds(10)) else {
                    throw ScenarioError("round \(round): no member serves:\n\(running.logTails())")
                }
                let others = members.filter { $0 != killed }
                let before = try await running.bindings(killed)

                let killedAt = Date().timeIntervalSince1970
                try await topology.crash(killed)
                guard let serving = await running.servingMember(among: others, timeout: options.takeoverLimit,
                                                                every: .milliseconds(5)) else {
                    throw ScenarioError("round \(round): no member took over within \(options.takeoverLimit) "
                                        + "after \(killed) was killed:\n\(running.logTails())")
                }
                let servingAt = Date().timeIntervalSince1970
                await running.crashed(killed)
                log("\(killed) killed; \(serving) serves \(Int(((servingAt - killedAt) * 1000).rounded())) ms later")
                try await Task.sleep(for: options.afterTakeover)
                let after = try await running.bindings(serving)
                if after != before { problems.append("round \(round): bindings before \(before), after \(after)") }

                // The machine comes back; its home agent starts again and must stay a standby.
                try await topology.restore(killed)
                try running.start(killed)
                let restartedAt = Date().timeIntervalSince1970
                var rejoinedAt: Double?
                if await waitUntil(timeout: options.rejoinLimit, { await running.status(killed)?.isReadyStandby == true }) {
                    rejoinedAt = Date().timeIntervalSince1970
                    log("\(killed) is back, a standby hearing \(serving)")
                } else {
                    problems.append("round \(round): \(killed) was not back as a standby within \(options.rejoinLimit)")
                }
                try await Task.sleep(for: .milliseconds(500))
                let probes = try await prober.stop()

                let record = FailoverRecord(killedMember: "\(killed)", servingMember: "\(serving)", killedAt: killedAt,
                                            servingAt: servingAt, restartedAt: restartedAt, rejoinedAt: rejoinedAt,
                                            bindingsBefore: before.count, bindingsAfter: after.count, probes: probes)
                problems += Self.problems(record, probes, round: round)
                records.append(record)
                samples.append(probes.probes.map(ProbeSample.init))
                failover(round, record)
                if rejoinedAt == nil { break }
            }

            let siteAgentLog = await running.stop()
            agents = nil
            // The restart counter is the cluster's: B1 sees no restart and registers nothing again.
            if siteAgentLog.contains("home agent restarted") {
                problems.append("\(hypervisor)'s site agent saw the home agent restart and registered again")
            }
            cluster.stop()
            etcd = nil
            if let counters = await topology.stopDelayLine() { log("delay line: \(counters.line)") }
            try? FileManager.default.copyItem(atPath: running.folder, toPath: "\(options.output)/agents")
            let report = LabReport(
                parameters: .init(sites: 2, oneWayDelayMilliseconds: options.oneWayDelay.milliseconds, lossPercent: 0, vms: 1,
                                  route: ["\(hypervisor)"], modes: [], probeIntervalMilliseconds: options.probeInterval.milliseconds,
                                  hypervisorsPerSite: 1, clusterMembers: layout.members, etcdMembers: layout.etcdMembers),
                started: started, finished: Date().timeIntervalSince1970, migrations: [], failovers: records)
            topology.remove()
            return Result(report: report, probes: samples, problems: problems, folder: options.output)
        } catch {
            if let agents { await agents.stop() }
            etcd?.stop()
            topology.remove()
            throw error
        }
    }

    /// What a failover's record and probe log show that a cluster should not do.
    static func problems(_ record: FailoverRecord, _ probes: ProbeLog, round: Int) -> [String] {
        var problems: [String] = []
        if record.duplicates > 0 { problems.append("round \(round): \(record.duplicates) probes answered twice: two members served") }
        if let gap = probes.longestGap {
            let killedAt = Int64(record.killedAt * 1e9)
            if gap.after.sent < killedAt {
                problems.append("round \(round): the longest traffic gap ended before the kill")
            }
            if gap.lostProbes != probes.lostCount {
                problems.append("round \(round): \(probes.lostCount - gap.lostProbes) probes lost outside the failover's gap")
            }
        } else {
            problems.append("round \(round): fewer than two probes answered")
        }
        return problems
    }
}
