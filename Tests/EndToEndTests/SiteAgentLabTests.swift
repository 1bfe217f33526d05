import AgentRuntime
import Foundation
import GLMControl
import LabSupport
import SiteAgentRuntime
import Testing

/// Both real agents with their data planes, in network namespaces (``HomeAgentLab`` with
/// the VM's link bridged on `br0` in the site namespace): `home-agent run` in the home
/// namespace, `site-agent run --config FILE` in the site namespace. The VM announces
/// itself from inside its namespace as QEMU does after a migration; the site agent
/// registers it, the home agent binds it at the site, and the correspondent and the VM
/// reach each other through both agents, the VM's configuration untouched; `site-agent
/// notify --event departed` undoes the VM's serving and its binding; SIGTERM to both
/// leaves both hosts as they were. Needs root; skips with a printed reason
/// otherwise (fails under `CI=true`).
@Suite("site-agent and home-agent end to end in network namespaces", .serialized)
struct SiteAgentLabTests {
    @Test("announce in the VM, binding at the site, traffic both ways through both agents, departure, SIGTERM undoes everything")
    func siteAgentServesTheVM() async throws {
        guard let lab = try HomeAgentLab.make(siteBridge: true) else { return }
        defer { lab.remove() }
        guard let siteAgent = TestEnvironment.builtExecutable("site-agent") else {
            _ = TestEnvironment.require(false, "site-agent is not built beside the tests (swift build --build-tests builds them)")
            return
        }
        let net = lab.lab
        let (site, vm) = (net.site, net.vm)
        let siteConfiguration = net.file("site-agent.yaml")
        let siteSocket = net.file("site-agent.sock")
        try """
        address: 198.18.1.2
        bridges: [br0]
        control-socket: \(siteSocket)
        metrics: off
        home-agents:
          - { name: dc1, address: 198.18.0.2, spi: 256, key: \(HomeAgentLab.siteKey), vms: ["\(HomeAgentLab.vmMAC)"] }

        """.write(toFile: siteConfiguration, atomically: true, encoding: .utf8)
        let siteJournal = try SiteAgentConfiguration.load(path: siteConfiguration).networkJournal

        let vmBefore = try vmConfiguration(net)
        let siteBefore = try siteState(net)

        let home = try lab.startAgent()
        let agent = try net.spawn(site, [siteAgent, "run", "--config", siteConfiguration])
        defer {
            agent.kill()
            home.kill()
        }
        let up = await waitUntil(timeout: .seconds(10)) {
            guard await lab.bindings() != nil else { return false }
            return (try? await ControlClient(path: siteSocket).raw(.status)) != nil
        }
        try #require(up, "home agent: \(home.standardError)\nsite agent: \(agent.standardError)")
        #expect(await lab.bindings() == [:], "a binding before the VM arrived")

        // The VM arrives: the hypervisor's announce, sent from inside the VM onto br0.
        let announce = try await net.run(vm, [lab.tools.probe, "announce", "--interface", "eth0",
                                              "--mac", HomeAgentLab.vmMAC, "--count", "5"])
        #expect(announce.succeeded, "announce: \(announce.standardError)")
        let served = await waitUntil(timeout: .seconds(5)) {
            let status = (try? await ControlClient(path: siteSocket).raw(.status)).map { String(decoding: $0, as: UTF8.self) }
            let bound = await lab.bindings()
            return bound == [HomeAgentLab.vmMAC: "site-a"] && (status?.contains("\"state\":\"served\"") ?? false)
        }
        try #require(served, "not served\nhome agent: \(home.standardError)\nsite agent: \(agent.standardError)")

        // What the site agent installed: the VM's host route on br0, its policy rule into
        // the tunnel's table, the table's default route into glm0; no proxy ARP on br0.
        let installed = try siteState(net)
        #expect(installed.routes.contains("\(HomeAgentLab.vmAddress) dev br0"), "routes: \(installed.routes)")
        #expect(installed.rules.contains("from \(HomeAgentLab.vmAddress) lookup \(UserSpaceSiteDataPlane.table)"),
                "rules: \(installed.rules)")
        #expect(installed.table.contains("default dev glm0"), "table \(UserSpaceSiteDataPlane.table): \(installed.table)")
        #expect(installed.sysctls["net.ipv4.conf.br0.proxy_arp"] != "1", "\(installed.sysctls)")

        // Both ways, through both agents.
        let (toVM, toVMOutput) = try await lab.ping(from: net.cn, HomeAgentLab.vmAddress)
        #expect(toVM, "cn → VM: \(toVMOutput)\nsite agent: \(agent.standardError)")
        let (toCN, toCNOutput) = try await lab.ping(from: vm, "10.10.0.9")
        #expect(toCN, "VM → cn: \(toCNOutput)\nsite agent: \(agent.standardError)")
        // The site agent answers the VM's ARP for its home neighbour (cn, on the VM's /24)
        // and for its gateway (asked for by a ping no one answers: 10.10.0.1 is nobody at
        // home in this lab, the gateway's MAC is what counts) with the redirect's MAC.
        _ = try await net.run(vm, [lab.tools.ping, "-c", "1", "-W", "1", "10.10.0.1"], timeout: .seconds(5))
        let neighbours = try net.output(["-n", vm, "neigh", "show", "dev", "eth0"]).split(separator: "\n")
        for address in ["10.10.0.9", "10.10.0.1"] {
            let fields = neighbours.first { $0.hasPrefix("\(address) ") }.map { $0.split(separator: " ") } ?? []
            let mac = fields.firstIndex(of: "lladdr").map { String(fields[$0 + 1]) }
            #expect(mac == BridgeRedirect.hostMAC.description,
                    "the VM's entry for \(address) should be the agent's answer: neighbours \(neighbours)")
        }
        #expect(try vmConfiguration(net) == vmBefore, "the VM's own configuration changed")

        // The VM leaves (the libvirt hook's `notify departed`): the site stops serving it
        // (its route, rule and proxy ARP gone, the table's default route stays with the
        // TUN) and de-registers it at home.
        let departed = try await net.run(site, [siteAgent, "notify", "--vm", HomeAgentLab.vmMAC, "--event", "departed",
                                                "--socket", siteSocket])
        #expect(departed.succeeded, "notify departed: \(departed.standardOutput) \(departed.standardError)")
        let unserved = try await waitUntil(timeout: .seconds(5)) {
            let now = try siteState(net)
            let bound = await lab.bindings()
            return bound == [:] && now.routes == siteBefore.routes && now.rules == siteBefore.rules
                && now.sysctls["net.ipv4.conf.br0.proxy_arp"] == siteBefore.sysctls["net.ipv4.conf.br0.proxy_arp"]
        }
        let (left, leftBindings) = (try siteState(net), await lab.bindings() ?? [:])
        #expect(unserved, "after departed: \(left), bindings \(leftBindings)")

        // SIGTERM both: each exits 0 and leaves its host as it found it.
        agent.signal(SIGTERM)
        home.signal(SIGTERM)
        let siteExited = await agent.waitForExit(timeout: .seconds(10))
        let homeExited = await home.waitForExit(timeout: .seconds(10))
        #expect(siteExited && agent.status == 0, "site agent exit \(agent.status): \(agent.standardError)")
        #expect(homeExited && home.status == 0, "home agent exit \(home.status): \(home.standardError)")
        let siteAfter = try siteState(net)
        #expect(siteAfter == siteBefore, "site after \(siteAfter), before \(siteBefore)")
        let siteLinks = try net.output(["-n", site, "link", "show"])
        #expect(!siteLinks.contains("glm0"), "TUN left behind at the site: \(siteLinks)")
        #expect(!FileManager.default.fileExists(atPath: siteJournal), "site network journal left after a clean stop")
        let homeLinks = try net.output(["-n", net.home, "link", "show"])
        #expect(!homeLinks.contains("glm0"), "TUN left behind at home: \(homeLinks)")
        #expect(try lab.proxyEntries().isEmpty && !lab.homeRoutes().contains("glm0"), "home data plane left behind")
        #expect(!FileManager.default.fileExists(atPath: lab.networkJournal), "home network journal left after a clean stop")
        #expect(try vmConfiguration(net) == vmBefore, "the VM's own configuration changed")
    }

    /// The VM's addresses and routes, as it sees them.
    func vmConfiguration(_ net: DataPlaneLab) throws -> [String] {
        [try net.output(["-n", net.vm, "-4", "address", "show"]), try net.output(["-n", net.vm, "route", "show"])]
    }

    struct SiteState: Equatable, CustomStringConvertible {
        var routes: String
        var rules: String
        var table: String
        var sysctls: [String: String]
        var description: String { "routes \(routes) rules \(rules) table \(table) sysctls \(sysctls)" }
    }

    /// What the site agent changes in the site namespace.
    func siteState(_ net: DataPlaneLab) throws -> SiteState {
        var sysctls: [String: String] = [:]
        for name in ["net.ipv4.ip_forward", "net.ipv4.conf.br0.proxy_arp", "net.ipv4.conf.br0.forwarding",
                     "net.ipv4.neigh.br0.proxy_delay"] {
            sysctls[name] = try net.readSysctl(net.site, name)
        }
        return SiteState(routes: try net.output(["-n", net.site, "route", "show"]),
                         rules: try net.output(["-n", net.site, "rule", "show"]),
                         table: try net.output(["-n", net.site, "route", "show", "table", "\(UserSpaceSiteDataPlane.table)"]),
                         sysctls: sysctls)
    }
}
