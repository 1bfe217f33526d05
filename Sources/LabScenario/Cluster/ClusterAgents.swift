import Foundation
import GLMControl
import LabNetwork
import LabProcesses

/// Site A's cluster of home agents and hypervisor B1's site agent as operators run them
/// (`home-agent run` on each member's machine, `site-agent run` on B1, from the files
/// ``ClusterAgentConfiguration`` writes, at real-time priority), and what their control
/// sockets say: each member's view of the cluster and its bindings.
///
/// A member whose machine crashed is started again with ``start(_:)``; what its
/// earlier runs wrote to standard error is kept, and ``stop()`` writes each agent's
/// runs together into `NAME.log` beside its configuration.
final class ClusterAgents: @unchecked Sendable {
    // Used from the scenario's one task.
    let topology: FederationTopology
    let programs: LabAgents.Programs
    let configuration: ClusterAgentConfiguration
    /// The configurations, keys, sockets and logs.
    let folder: String
    private var members: [FederationTopology.Host: ChildProcess] = [:]
    private var siteAgent: ChildProcess?
    /// What the members' earlier runs wrote to standard error, by member.
    private var earlierLogs: [FederationTopology.Host: [String]] = [:]

    /// Writes every file; starts nothing.
    init(topology: FederationTopology, programs: LabAgents.Programs, hypervisor: FederationTopology.Hypervisor,
         vms: [VMProfile], etcdEndpoints: [String], expectedRoundTrip: Duration) throws {
        self.topology = topology
        self.programs = programs
        folder = topology.file("agents")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        configuration = ClusterAgentConfiguration(topology: topology, hypervisor: hypervisor, vms: vms, etcdEndpoints: etcdEndpoints,
                                                  folder: folder, expectedRoundTrip: expectedRoundTrip)
        try configuration.write()
    }

    /// Starts `member`'s home agent on its machine.
    func start(_ member: FederationTopology.Host) throws {
        members[member] = try topology.spawn(topology.namespace(of: member),
                                             LabAgents.realTime + [programs.homeAgent, "run", "--config", configuration.memberFile(member)])
    }

    /// Starts B1's site agent and returns once its control socket is there.
    func startSiteAgent() async throws {
        let agent = try topology.spawn(topology.namespace(of: configuration.hypervisor),
                                       LabAgents.realTime + [programs.siteAgent, "run", "--config", configuration.siteAgentFile])
        siteAgent = agent
        let socket = configuration.siteAgentSocket
        let ready = await waitUntil(timeout: .seconds(20)) {
            agent.status != -1 || FileManager.default.fileExists(atPath: socket)
        }
        guard ready, agent.status == -1 else {
            throw ScenarioError("the site agent at \(configuration.hypervisor) did not start: \(agent.standardError.suffix(2000))")
        }
    }

    /// `member`'s view of the cluster; nil while it does not answer.
    func status(_ member: FederationTopology.Host) async -> ClusterStatus? {
        try? await ControlClient(path: configuration.memberSocket(member), deadline: .seconds(2)).call(.cluster)
    }

    /// The member serving, once exactly one of `among` says it serves (asked every
    /// `interval`); nil after `timeout`.
    func servingMember(among candidates: [FederationTopology.Host], timeout: Duration,
                       every interval: Duration = .milliseconds(20)) async -> FederationTopology.Host? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        repeat {
            var serving: [FederationTopology.Host] = []
            for member in candidates where await status(member)?.serving == true { serving.append(member) }
            if serving.count == 1 { return serving[0] }
            try? await Task.sleep(for: interval)
        } while ContinuousClock.now < deadline
        return nil
    }

    /// The bindings `member` reports — the serving member its own, a standby those etcd
    /// holds — as VM MAC → where it is bound (`site-b@198.18.2.11`).
    func bindings(_ member: FederationTopology.Host) async throws -> [String: String] {
        let entries: [BindingEntry]
        do {
            entries = try await ControlClient(path: configuration.memberSocket(member)).call(.bindings)
        } catch {
            throw ScenarioError("\(member)'s bindings: \(error)")
        }
        var bindings: [String: String] = [:]
        for entry in entries { bindings[entry.vm] = "\(entry.site)@\(entry.siteAddress)" }
        return bindings
    }

    /// After a crash of `member`'s machine: waits for its home agent's exit and keeps what
    /// it wrote.
    func crashed(_ member: FederationTopology.Host) async {
        guard let process = members.removeValue(forKey: member) else { return }
        if !(await process.waitForExit(timeout: .seconds(5))) { process.kill() }
        earlierLogs[member, default: []].append(process.standardError)
    }

    /// The last lines each agent wrote, for an error's message.
    func logTails() -> String {
        members.sorted { "\($0.key)" < "\($1.key)" }.map { "--- \($0.key)\n\($0.value.standardError.suffix(2500))" }
            .joined(separator: "\n") + "\n--- \(configuration.hypervisor)\n\(siteAgent?.standardError.suffix(1500) ?? "")"
    }

    /// SIGTERM to every agent and a wait for each; each agent's log (a member's runs one
    /// after the other) is kept beside its configuration. Returns what B1's site agent
    /// wrote.
    @discardableResult
    func stop() async -> String {
        let siteAgentName = "\(FederationTopology.Host.hypervisor(configuration.hypervisor))"
        let running = members.sorted { "\($0.key)" < "\($1.key)" }.map { ("\($0.key)", $0.value) }
            + (siteAgent.map { [(siteAgentName, $0)] } ?? [])
        _ = await stopAgents(running, keepingLogsIn: folder)
        for (member, runs) in earlierLogs {
            let file = "\(folder)/\(member).log"
            let last = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            let text = (runs + [last]).enumerated()
                .map { "# \(member), run \($0.offset + 1)\($0.offset < runs.count ? " (its machine crashed)" : "")\n\($0.element)" }
                .joined(separator: "\n")
            try? text.write(toFile: file, atomically: true, encoding: .utf8)
        }
        members = [:]
        siteAgent = nil
        earlierLogs = [:]
        return (try? String(contentsOfFile: "\(folder)/\(siteAgentName).log", encoding: .utf8)) ?? ""
    }
}
