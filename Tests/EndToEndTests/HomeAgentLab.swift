import AgentRuntime
import Foundation
import GLMControl
import HomeAgentRuntime
import LabSupport
import Testing

/// The namespace lab (``DataPlaneLab``) with the real `home-agent` in the home namespace,
/// configured for one site (site-a, 198.18.1.2, the site namespace) and one VM (the vm
/// namespace), and `glm-tunnel-probe` playing the site: its tunnel end, its
/// registrations and the VM's announce.
final class HomeAgentLab: @unchecked Sendable {
    // Built in init and only read afterwards, by one test.
    static let vmMAC = DataPlaneLab.vmMAC
    static let vmAddress = "10.10.0.50"
    static let siteKey = "5f0e6c1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"

    let lab: DataPlaneLab
    let tools: TestEnvironment.LabTools
    let homeAgent: String
    let glmctl: String
    let configuration: String
    let controlSocket: String
    /// The agent's journal of its OS changes (beside the control socket).
    let networkJournal: String

    /// The lab and the agent's configuration file, or nil after recording why not.
    /// With `siteBridge`, the VM's link is a port of `br0` in the site namespace (see
    /// ``DataPlaneLab``), for a real site agent to serve it.
    static func make(siteBridge: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> HomeAgentLab? {
        guard let tools = TestEnvironment.labTools(for: "the end-to-end tests", sourceLocation: sourceLocation) else { return nil }
        guard let homeAgent = TestEnvironment.builtExecutable("home-agent"),
              let glmctl = TestEnvironment.builtExecutable("glmctl") else {
            _ = TestEnvironment.require(false, "home-agent and glmctl are not built beside the tests (swift build --build-tests builds them)",
                                        sourceLocation: sourceLocation)
            return nil
        }
        return try HomeAgentLab(tools: tools, homeAgent: homeAgent, glmctl: glmctl, siteBridge: siteBridge)
    }

    private init(tools: TestEnvironment.LabTools, homeAgent: String, glmctl: String, siteBridge: Bool) throws {
        self.tools = tools
        self.homeAgent = homeAgent
        self.glmctl = glmctl
        lab = try DataPlaneLab(ip: tools.ip, siteBridge: siteBridge)
        configuration = lab.file("home-agent.yaml")
        controlSocket = lab.file("state/home-agent.sock")
        let text = """
        address: 198.18.0.2
        home-interface: br-home
        database: \(lab.file("state/home-agent.sqlite"))
        control-socket: \(controlSocket)
        metrics: 127.0.0.1:9436
        sites:
          - { name: site-a, address: 198.18.1.2, spi: 256, key: \(Self.siteKey) }
        vms:
          - { mac: \(Self.vmMAC), address: \(Self.vmAddress)/24, gateway: 10.10.0.1 }

        """
        do {
            try text.write(toFile: configuration, atomically: true, encoding: .utf8)
            // Refused here with file, line and reason rather than by an agent that exits.
            networkJournal = try HomeAgentConfiguration.load(path: configuration).networkJournal
        } catch {
            lab.remove()
            throw error
        }
    }

    /// `home-agent run --config FILE` in the home namespace, as an operator runs it.
    func startAgent() throws -> ChildProcess {
        try lab.spawn(lab.home, [homeAgent, "run", "--config", configuration])
    }

    /// The site's end of the tunnel: traffic for the home LAN goes to the home agent, and
    /// the VM's own traffic is sent into the tunnel by policy routing.
    func startSiteTunnel() throws -> (ChildProcess, counters: String) {
        let counters = lab.file("site.json")
        let end = try lab.spawn(lab.site, [tools.probe, "tunnel", "--local", "198.18.1.2",
                                           "--route", "10.10.0.9/32=198.18.0.2,tlv", "--route", "10.10.0.0/24=198.18.0.2,tlv",
                                           "--policy", "\(Self.vmAddress)=100", "--counters", counters])
        return (end, counters)
    }

    /// Registers the VM at site-a from the site's signaling port; with `linger`, the probe
    /// stays to answer the revocation that follows.
    func register(linger: Int = 0) throws -> ChildProcess {
        try lab.spawn(lab.site, [tools.probe, "register", "--from", "198.18.1.2", "--to", "198.18.0.2",
                                 "--source-port", "5436", "--spi", "256", "--key", Self.siteKey,
                                 "--mac", Self.vmMAC, "--linger", "\(linger)"])
    }

    /// The binding cache from the control socket: VM to site name; nil while no agent answers.
    func bindings() async -> [String: String]? {
        guard let answer = try? await ControlClient(path: controlSocket).raw(.bindings),
              let rows = try? JSONSerialization.jsonObject(with: Data(answer)) as? [[String: Any]] else { return nil }
        var sites: [String: String] = [:]
        for row in rows {
            if let vm = row["vm"] as? String { sites[vm] = row["site"] as? String ?? "?" }
        }
        return sites
    }

    /// `ip -n home neigh show proxy`.
    func proxyEntries() throws -> String {
        try lab.output(["-n", lab.home, "neigh", "show", "proxy"])
    }

    /// `ip -n home route`: the main table.
    func homeRoutes() throws -> String {
        try lab.output(["-n", lab.home, "route", "show"])
    }

    /// The sysctls the agent changes, with their values now.
    func agentSysctls() throws -> [String: String] {
        var values: [String: String] = [:]
        for name in ["net.ipv4.ip_forward", "net.ipv4.conf.br-home.forwarding", "net.ipv4.neigh.br-home.proxy_delay"] {
            values[name] = try lab.readSysctl(lab.home, name)
        }
        return values
    }

    /// Pings `address` from `namespace`: true when every one was answered.
    func ping(from namespace: String, _ address: String) async throws -> (Bool, String) {
        let run = try await lab.run(namespace, [tools.ping, "-c", "2", "-i", "0.2", "-W", "2", address], timeout: .seconds(10))
        return (run.succeeded && run.standardOutput.contains(" 0% packet loss"), run.standardOutput + run.standardError)
    }

    func remove() {
        lab.remove()
    }
}
