import Foundation
import GLMControl
import LabNetwork
import LabProcesses

/// GLM across a federation as its operators run it: `home-agent run` on every site's
/// home-agent host and `site-agent run` on every hypervisor, from the files
/// ``FederationAgentConfiguration`` writes, and what the operators' tools say: each home
/// agent's bindings, each site agent's status.
public final class FederationAgents: @unchecked Sendable {
    public let topology: FederationTopology
    public let programs: LabAgents.Programs
    public let vms: [Int: [VMProfile]]
    /// The configurations, keys, databases, sockets and logs.
    public let folder: String
    let configuration: FederationAgentConfiguration
    private var homeAgents: [Int: ChildProcess] = [:]
    private var siteAgents: [FederationTopology.Hypervisor: ChildProcess] = [:]

    /// Writes every file and starts every agent; returns once each answers on its control
    /// socket. `vms` are the VMs by their home site.
    public init(topology: FederationTopology, programs: LabAgents.Programs, vms: [Int: [VMProfile]],
                expectedRoundTrip: Duration, tunnelImplementation: String? = nil) async throws {
        self.topology = topology
        self.programs = programs
        self.vms = vms
        folder = topology.file("agents")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        configuration = FederationAgentConfiguration(topology: topology, vms: vms, folder: folder,
                                                     expectedRoundTrip: expectedRoundTrip,
                                                     tunnelImplementation: tunnelImplementation)
        do {
            try configuration.write()
            for site in topology.sites {
                homeAgents[site] = try topology.spawn(topology.namespace(of: .homeAgent(site: site)),
                                                      LabAgents.realTime + [programs.homeAgent, "run", "--config",
                                                                            configuration.homeAgentFile(site)])
            }
            for hypervisor in topology.hypervisors {
                siteAgents[hypervisor] = try topology.spawn(topology.namespace(of: hypervisor),
                                                            LabAgents.realTime + [programs.siteAgent, "run", "--config",
                                                                                  configuration.siteAgentFile(hypervisor)])
            }
            try await waitForControlSockets()
        } catch {
            await stop()
            throw error
        }
    }

    public func homeAgentSocket(_ site: Int) -> String { "\(folder)/ha\(site).sock" }
    public func siteAgentSocket(_ hypervisor: FederationTopology.Hypervisor) -> String {
        "\(folder)/hv\(hypervisor.site)\(hypervisor.index).sock"
    }
    public func homeAgentFile(_ site: Int) -> String { configuration.homeAgentFile(site) }
    /// The key file of the association between home agent `home` and site `site`.
    public func keyFile(home: Int, site: Int) -> String { configuration.keyFile(home: home, site: site) }
    public func siteAgentFile(_ hypervisor: FederationTopology.Hypervisor) -> String { configuration.siteAgentFile(hypervisor) }
    /// The running home agent of `site`, for a test that signals it.
    public func homeAgent(_ site: Int) -> ChildProcess? { homeAgents[site] }
    public func siteAgent(_ hypervisor: FederationTopology.Hypervisor) -> ChildProcess? { siteAgents[hypervisor] }

    private var running: [(name: String, process: ChildProcess)] {
        siteAgents.sorted { $0.key < $1.key }.map { ("hv\($0.key.site)\($0.key.index)", $0.value) }
            + homeAgents.sorted { $0.key < $1.key }.map { ("ha\($0.key)", $0.value) }
    }

    private func waitForControlSockets() async throws {
        let sockets = topology.sites.map(homeAgentSocket) + topology.hypervisors.map(siteAgentSocket)
        let agents = running
        let ready = await waitUntil(timeout: .seconds(30)) {
            agents.contains { $0.process.status != -1 } || sockets.allSatisfy { FileManager.default.fileExists(atPath: $0) }
        }
        if let exited = agents.first(where: { $0.process.status != -1 }) {
            throw LabTopology.LabError("\(exited.name) exited at start (status \(exited.process.status)): \(exited.process.standardError)")
        }
        guard ready else { throw LabTopology.LabError("the agents' control sockets did not appear within 30 s") }
    }

    /// One binding at a home agent: the site and the hypervisor's address it points to.
    public struct Binding: Hashable, Sendable, CustomStringConvertible {
        public var site: String
        public var host: String
        public var description: String { "\(site)@\(host)" }
    }

    /// Home agent `site`'s bindings: VM MAC → where it is bound.
    public func bindings(site: Int) async throws -> [String: Binding] {
        let run = try await ProgramRun.run(programs.homeAgent, ["bindings", "--socket", homeAgentSocket(site)],
                                           timeout: .seconds(10))
        guard run.succeeded, let entries = try? JSONDecoder().decode([BindingEntry].self, from: Data(run.standardOutput.utf8)) else {
            throw LabTopology.LabError("home-agent bindings at site \(site): \(run.standardError)")
        }
        return Dictionary(entries.map { ($0.vm, Binding(site: $0.site, host: $0.siteAddress)) }, uniquingKeysWith: { $1 })
    }

    /// Every home agent's bindings together: VM MAC → binding (a VM has one home agent).
    public func allBindings() async throws -> [String: Binding] {
        var all: [String: Binding] = [:]
        for site in topology.sites {
            all.merge(try await bindings(site: site)) { first, _ in first }
        }
        return all
    }

    /// What `site-agent status` says at `hypervisor`: VM MAC → state (and refusals).
    public func status(_ hypervisor: FederationTopology.Hypervisor) async throws -> [String: String] {
        let run = try await ProgramRun.run(programs.siteAgent, ["status", "--socket", siteAgentSocket(hypervisor)],
                                           timeout: .seconds(10))
        guard run.succeeded, let status = try? JSONDecoder().decode(SiteAgentStatus.self, from: Data(run.standardOutput.utf8)) else {
            throw LabTopology.LabError("site-agent status at \(hypervisor): \(run.standardOutput) \(run.standardError)")
        }
        return Dictionary(status.vms.map { ($0.mac, $0.state) }, uniquingKeysWith: { $1 })
    }

    /// Every hypervisor's status: hypervisor → VM MAC → state.
    public func allStatuses() async throws -> [FederationTopology.Hypervisor: [String: String]] {
        var all: [FederationTopology.Hypervisor: [String: String]] = [:]
        for hypervisor in topology.hypervisors { all[hypervisor] = try await status(hypervisor) }
        return all
    }

    /// What the site agent at `hypervisor` exports to Prometheus (scraped inside its
    /// namespace, where it listens on 127.0.0.1:9437).
    public func metrics(_ hypervisor: FederationTopology.Hypervisor) async throws -> String {
        let run = try await topology.run(topology.namespace(of: hypervisor), ["python3", "-c",
            "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9437/metrics').read().decode())"])
        guard run.succeeded else { throw LabTopology.LabError("metrics at \(hypervisor): \(run.standardError)") }
        return run.standardOutput
    }

    /// `site-agent notify --event EVENT` at `hypervisor`, as the libvirt hook calls it.
    public func notify(_ event: String, _ mac: String, at hypervisor: FederationTopology.Hypervisor) async throws -> ProgramRun {
        try await ProgramRun.run(programs.siteAgent, ["notify", "--vm", mac, "--event", event,
                                                      "--socket", siteAgentSocket(hypervisor)], timeout: .seconds(10))
    }

    /// SIGTERM to every agent and a wait for each; what each wrote to standard error is
    /// kept beside its configuration. Returns each agent's exit status by name (`ha1`,
    /// `hv11`, …); a killed agent's is -1.
    @discardableResult
    public func stop() async -> [String: Int32] {
        let statuses = await stopAgents(running, keepingLogsIn: folder)
        homeAgents = [:]
        siteAgents = [:]
        return statuses
    }
}
