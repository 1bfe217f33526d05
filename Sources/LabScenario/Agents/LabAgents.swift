import Foundation
import GLMControl
import LabNetwork
import LabProcesses

/// GLM as an operator runs it in the lab: `home-agent run --config …` on the origin
/// site's host and `site-agent run --config …` on every site's hypervisor host, with
/// configuration files the lab writes (keys generated per run, in key files of mode
/// 0600), and what the operator's tools say of them: the home agent's bindings and each
/// site agent's status.
public final class LabAgents: @unchecked Sendable {
    /// The agents' programs.
    public struct Programs: Sendable {
        public var homeAgent: String
        public var siteAgent: String

        public init(homeAgent: String, siteAgent: String) {
            self.homeAgent = homeAgent
            self.siteAgent = siteAgent
        }

        /// The programs in `folder` (a build folder: `.build/release`).
        public init(folder: String) {
            self.init(homeAgent: "\(folder)/home-agent", siteAgent: "\(folder)/site-agent")
        }
    }

    // Set in init, read afterwards.
    public let topology: LabTopology
    public let programs: Programs
    public let vms: [VMProfile]
    /// The folder holding the configurations, keys, databases, sockets and logs.
    public let folder: String
    private var homeAgent: ChildProcess?
    private var siteAgents: [Int: ChildProcess] = [:]

    /// Writes the configurations and starts every agent; returns once each answers on its
    /// control socket. `expectedRoundTrip` is the WAN round trip the site agents start
    /// their retransmission timers from (what an operator would configure).
    /// Heartbeat timers for both agents (RFC 5847): a request every `intervalSeconds`, a
    /// peer down after `missingAllowed` unanswered.
    public struct Heartbeat: Sendable {
        public var intervalSeconds: Int
        public var missingAllowed: Int

        public init(intervalSeconds: Int, missingAllowed: Int) {
            self.intervalSeconds = intervalSeconds
            self.missingAllowed = missingAllowed
        }
    }

    /// - Parameter tunnelImplementation: both agents' `tunnel.implementation`; nil for their default.
    public init(topology: LabTopology, programs: Programs, vms: [VMProfile], expectedRoundTrip: Duration,
                heartbeat: Heartbeat? = nil, tunnelImplementation: String? = nil) async throws {
        self.topology = topology
        self.programs = programs
        self.vms = vms
        folder = topology.file("agents")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let configuration = LabAgentConfiguration(topology: topology, vms: vms, folder: folder,
                                                  expectedRoundTrip: expectedRoundTrip, heartbeat: heartbeat,
                                                  tunnelImplementation: tunnelImplementation)
        do {
            try configuration.write()
            homeAgent = try topology.spawn(topology.home, Self.realTime + [programs.homeAgent, "run", "--config", configuration.homeAgentFile])
            for site in 1...topology.sites.count {
                siteAgents[site] = try topology.spawn(topology.namespace(of: .site(site)),
                                                      Self.realTime + [programs.siteAgent, "run", "--config", configuration.siteAgentFile(site)])
            }
            try await waitForControlSockets()
        } catch {
            await stop()
            throw error
        }
    }

    /// The agents run at real-time priority (SCHED_FIFO 20), as the systemd units in
    /// `Docs/home-agent.md` and `Docs/site-agent.md` run them (`CPUSchedulingPolicy=fifo`):
    /// on a host whose cores the VMs keep busy — here QEMU's emulated CPUs, the delay line
    /// and the prober — a handoff's few hundred microseconds of work must not wait for a
    /// time slice.
    static let realTime = ["/usr/bin/chrt", "--fifo", "20"]

    public var homeAgentSocket: String { "\(folder)/home-agent.sock" }
    /// The key file site `site`'s agents share with the home agent.
    public func keyFile(_ site: Int) -> String { LabAgentConfiguration.keyFile(site, in: folder) }
    public func siteAgentSocket(_ site: Int) -> String { "\(folder)/site\(site).sock" }
    public var homeAgentLog: String? { homeAgent.map { _ in "\(folder)/home-agent.log" } }

    /// The agents running, by the name their log is kept under: `site1`, …, `home-agent`.
    private var running: [(name: String, process: ChildProcess)] {
        siteAgents.sorted { $0.key < $1.key }.map { ("site\($0.key)", $0.value) } + (homeAgent.map { [("home-agent", $0)] } ?? [])
    }

    private func waitForControlSockets() async throws {
        let sockets = [homeAgentSocket] + (1...topology.sites.count).map(siteAgentSocket)
        let agents = running.map(\.process)
        let ready = await waitUntil(timeout: .seconds(20)) {
            // One that exited ends the wait, and is reported below.
            agents.contains { $0.status != -1 } || sockets.allSatisfy { FileManager.default.fileExists(atPath: $0) }
        }
        if let exited = agents.first(where: { $0.status != -1 }) {
            throw LabTopology.LabError("an agent exited at start (status \(exited.status)): \(exited.standardError)")
        }
        guard ready else { throw LabTopology.LabError("the agents' control sockets did not appear within 20 s") }
    }

    /// The home agent's bindings: VM MAC → site name.
    public func bindings() async throws -> [String: String] {
        let run = try await ProgramRun.run(programs.homeAgent, ["bindings", "--socket", homeAgentSocket],
                                           timeout: .seconds(10))
        guard run.succeeded, let entries = try? JSONDecoder().decode([BindingEntry].self, from: Data(run.standardOutput.utf8)) else {
            throw LabTopology.LabError("home-agent bindings: \(run.standardError)")
        }
        return Dictionary(entries.map { ($0.vm, $0.site) }, uniquingKeysWith: { $1 })
    }

    /// What `site-agent status` says at `site`: VM MAC → its state (`registering`, `served`).
    public func status(site: Int) async throws -> [String: String] {
        let run = try await ProgramRun.run(programs.siteAgent, ["status", "--socket", siteAgentSocket(site)], timeout: .seconds(10))
        guard run.succeeded, let status = try? JSONDecoder().decode(SiteAgentStatus.self, from: Data(run.standardOutput.utf8)) else {
            throw LabTopology.LabError("site-agent status at site \(site): \(run.standardOutput) \(run.standardError)")
        }
        return Dictionary(status.vms.map { ($0.mac, $0.state) }, uniquingKeysWith: { $1 })
    }

    /// `site-agent notify --event arrived` at `host`, as the libvirt hook does for a guest
    /// started there.
    public func notifyArrived(_ mac: String, at host: LabTopology.Host) async throws {
        guard case .site(let site) = host else { return }
        let run = try await ProgramRun.run(programs.siteAgent, ["notify", "--vm", mac, "--event", "arrived",
                                                                "--socket", siteAgentSocket(site)], timeout: .seconds(10))
        guard run.succeeded else { throw LabTopology.LabError("site-agent notify: \(run.standardOutput) \(run.standardError)") }
    }

    /// `site-agent notify --event incoming` at `host` (a site), as the libvirt hook sends it
    /// at `migrate begin`, and a wait until the site says `prepared`. Returns what went
    /// wrong, or nil. At home, `home-agent notify --event incoming`, as the hook of a
    /// hypervisor on the home LAN sends it.
    public func prepare(_ vm: VMProfile, at host: LabTopology.Host) async throws -> String? {
        guard case .site(let site) = host else {
            let run = try await ProgramRun.run(programs.homeAgent, ["notify", "--vm", vm.mac, "--event", "incoming",
                                                                    "--socket", homeAgentSocket], timeout: .seconds(10))
            return run.succeeded ? nil : "home-agent notify incoming: \(run.standardOutput) \(run.standardError)"
        }
        let run = try await ProgramRun.run(programs.siteAgent, ["notify", "--vm", vm.mac, "--event", "incoming",
                                                                "--socket", siteAgentSocket(site)], timeout: .seconds(10))
        guard run.succeeded else { return "site-agent notify incoming: \(run.standardOutput) \(run.standardError)" }
        let prepared = await waitUntil(timeout: .seconds(3)) {
            (try? await status(site: site))?[vm.mac] == "prepared"
        }
        return prepared ? nil : "\(vm.name) was not prepared at \(host.reportName) within 3 s"
    }

    /// Waits until the agents agree that `vm` is at `host`: at home, no binding; at a site,
    /// a binding there and the site serving it; and the host it left (`leaving`) no longer
    /// holding it. Returns what was wrong after `timeout`, or nil.
    public func waitForPlacement(_ vm: VMProfile, at host: LabTopology.Host, leaving: LabTopology.Host?,
                                 timeout: Duration = .seconds(5)) async -> String? {
        var last = ""
        let agreed = await waitUntil(timeout: timeout) {
            let binding = (try? await bindings())?[vm.mac]
            var state: String? = nil
            if case .site(let site) = host { state = (try? await status(site: site))?[vm.mac] }
            var left: String? = nil
            if case .site(let site) = leaving { left = (try? await status(site: site))?[vm.mac] }
            last = "binding \(binding ?? "none"), state there \(state ?? "none"), state at the host left \(left ?? "none")"
            switch host {
            case .home: return binding == nil && left == nil
            case .site: return binding == host.reportName && state == "served" && left == nil
            }
        }
        return agreed ? nil : "\(vm.name) at \(host.reportName): the agents did not agree in time (\(last))"
    }

    /// The site agent at `site`, for a test that signals it.
    public func siteAgent(_ site: Int) -> ChildProcess? { siteAgents[site] }

    /// SIGTERM to every agent, and a wait for each to finish its teardown; what each wrote
    /// to standard error is kept beside its configuration. Returns each agent's exit
    /// status by name (`home-agent`, `site1`, …); a killed agent's is -1.
    @discardableResult
    public func stop() async -> [String: Int32] {
        let statuses = await stopAgents(running, keepingLogsIn: folder)
        homeAgent = nil
        siteAgents = [:]
        return statuses
    }
}
