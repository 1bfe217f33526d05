import Foundation
import LabSupport
import Testing

/// The real `home-agent` daemon with its data plane, in network namespaces (see
/// ``HomeAgentLab``): a site registers a VM, a correspondent on the home LAN and the VM
/// reach each other through the agent's proxy ARP and tunnel, a `kill -9` and a restart
/// bring the binding and its data plane back from SQLite, the VM's own announce on the
/// home LAN makes the agent step aside, and SIGTERM leaves the host as it found it.
/// Needs root; skips with a printed reason otherwise (fails under `CI=true`).
///
/// Async, and waiting without holding a thread, so that the daemons other suites run in
/// this process keep Swift's cooperative pool.
@Suite("home-agent end to end in network namespaces", .serialized)
struct HomeAgentLabTests {
    @Test("registration, traffic both ways, kill -9 and restart, the VM comes home, SIGTERM undoes everything")
    func homeAgentLifecycle() async throws {
        guard let lab = try HomeAgentLab.make() else { return }
        defer { lab.remove() }
        let (cn, vm) = (lab.lab.cn, lab.lab.vm)
        let original = try lab.agentSysctls()

        var agent = try lab.startAgent()
        let (siteEnd, siteCounters) = try lab.startSiteTunnel()
        defer {
            siteEnd.kill()
            agent.kill()
        }
        // The control socket answers before the signaling socket is bound: the one PBU
        // below waits for the agent's own word that it started.
        let up = await waitUntil(timeout: .seconds(10)) {
            await lab.bindings() != nil && FileManager.default.fileExists(atPath: siteCounters)
                && agent.standardError.contains("home agent started")
        }
        try #require(up, "agent: \(agent.standardError)\nsite end: \(siteEnd.standardError)")

        // (a) The site registers the VM: PBA 0, the binding, the proxy entry, the route
        // (the agent sends the PBA once the data plane is in place).
        let site = try lab.register(linger: 25)
        defer { site.kill() }
        let acknowledged = await waitUntil { site.standardOutput.contains("PBA status") }
        try #require(acknowledged, "no PBA: \(site.standardError)\nagent: \(agent.standardError)")
        #expect(site.standardOutput.hasPrefix("PBA status 0 (accepted)") && site.standardOutput.contains("verified true"),
                "\(site.standardOutput)")
        let bound = await lab.bindings()
        #expect(bound == [HomeAgentLab.vmMAC: "site-a"])
        let operatorView = try await lab.lab.run(lab.lab.home, [lab.glmctl, "bindings", "--json", "--socket", lab.controlSocket])
        #expect(operatorView.succeeded && operatorView.standardOutput.contains("\"site\":\"site-a\"")
                && operatorView.standardOutput.contains("\"vm\":\"\(HomeAgentLab.vmMAC)\""),
                "glmctl bindings --json: \(operatorView.standardOutput) \(operatorView.standardError)")
        try expectDataPlane(lab, installed: true, "after the registration")

        // (b) Both ways through the agent's proxy ARP and tunnel.
        try await expectReachable(lab, cn: cn, vm: vm, "through the home agent")
        // The tunnel's counters reach Prometheus (scraped inside the home namespace).
        let scrape = try await lab.lab.run(lab.lab.home, ["python3", "-c",
            "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9436/metrics').read().decode())"])
        #expect(scrape.succeeded, "\(scrape.standardError)")
        let packetsOut = scrape.standardOutput.split(separator: "\n")
            .first { $0.hasPrefix("glm_tunnel_packets_total{direction=\"out\"}") }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
        #expect(packetsOut >= 2, "glm_tunnel_packets_total: \(scrape.standardOutput)")
        #expect(scrape.standardOutput.contains("glm_home_bindings 1"))

        // (c) kill -9 and a new agent: the binding and its data plane come back from
        // SQLite, and traffic flows again without a new registration.
        agent.kill()
        // What the killed agent leaves: its TUN and the routes into it die with it; the
        // proxy entry and the sysctls stay, and its journal says how to undo them.
        #expect(try lab.proxyEntries().contains(HomeAgentLab.vmAddress), "proxy entry gone with the agent")
        #expect(FileManager.default.fileExists(atPath: lab.networkJournal), "no network journal after kill -9")
        agent = try lab.startAgent()
        let restored = await waitUntil(timeout: .seconds(10)) { await lab.bindings() == [HomeAgentLab.vmMAC: "site-a"] }
        try #require(restored, "binding not restored\nagent: \(agent.standardError)")
        // The control socket may answer while the restored bindings are being re-installed.
        _ = try await waitUntil(timeout: .seconds(3)) { try lab.homeRoutes().contains("\(HomeAgentLab.vmAddress) dev glm0") }
        try expectDataPlane(lab, installed: true, "after the restart")
        try await expectReachable(lab, cn: cn, vm: vm, "after the restart")

        // (d) The VM comes home: its announce on the home LAN (sent from cn, a port of
        // br-home) and within a second the binding, the proxy entry and the route are gone.
        // Five times, as QEMU announces.
        let announce = try await lab.lab.run(cn, [lab.tools.probe, "announce", "--interface", "eth0",
                                                  "--mac", HomeAgentLab.vmMAC, "--count", "5"])
        #expect(announce.succeeded, "announce: \(announce.standardError)")
        let stepped = try await waitUntil(timeout: .seconds(1)) {
            try await lab.bindings() == [:] && !lab.proxyEntries().contains(HomeAgentLab.vmAddress)
                && !lab.homeRoutes().contains("glm0")
        }
        let left = (await lab.bindings(), try lab.proxyEntries(), try lab.homeRoutes())
        #expect(stepped, "within 1 s of the announce: bindings \(left.0 ?? [:]), proxy \(left.1), routes \(left.2)")
        // ...and the site, which still lingers on its signaling port, is revoked.
        #expect(await site.waitForExit(timeout: .seconds(5)) && site.status == 0, "site: \(site.standardError)")
        #expect(site.standardOutput.contains("BRI trigger") && site.standardOutput.contains("verified true; BRA sent"),
                "\(site.standardOutput)")

        // (e) The VM leaves again, then SIGTERM: the agent exits 0 and takes its TUN, its
        // proxy entries, its routes and its sysctls with it.
        let again = try lab.register()
        #expect(await again.waitForExit(timeout: .seconds(5)) && again.standardOutput.hasPrefix("PBA status 0 "),
                "\(again.standardOutput) \(again.standardError)")
        try expectDataPlane(lab, installed: true, "after the second registration")
        agent.signal(SIGTERM)
        let exited = await agent.waitForExit(timeout: .seconds(10))
        #expect(exited && agent.status == 0, "exit \(agent.status): \(agent.standardError)")
        let (links, proxies, routes) = (try lab.lab.output(["-n", lab.lab.home, "link", "show"]),
                                        try lab.proxyEntries(), try lab.homeRoutes())
        #expect(!links.contains("glm0"), "TUN left behind: \(links)")
        #expect(proxies.isEmpty, "proxy entries left behind: \(proxies)")
        #expect(!routes.contains("glm0"), "routes left behind: \(routes)")
        let sysctls = try lab.agentSysctls()
        #expect(sysctls == original, "sysctls not restored: \(sysctls), before the agent \(original)")
        #expect(!FileManager.default.fileExists(atPath: lab.networkJournal), "network journal left after a clean stop")
    }

    /// The VM's proxy entry on br-home and its route into glm0 are there (or not).
    func expectDataPlane(_ lab: HomeAgentLab, installed: Bool, _ when: String,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let proxies = try lab.proxyEntries()
        let routes = try lab.homeRoutes()
        #expect(proxies.contains("\(HomeAgentLab.vmAddress) dev br-home proxy") == installed,
                "\(when): proxy entries \(proxies)", sourceLocation: sourceLocation)
        #expect(routes.contains("\(HomeAgentLab.vmAddress) dev glm0") == installed,
                "\(when): routes \(routes)", sourceLocation: sourceLocation)
    }

    /// cn pings the VM and the VM pings cn.
    func expectReachable(_ lab: HomeAgentLab, cn: String, vm: String, _ when: String,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (toVM, toVMOutput) = try await lab.ping(from: cn, HomeAgentLab.vmAddress)
        #expect(toVM, "cn → VM \(when): \(toVMOutput)", sourceLocation: sourceLocation)
        let (toCN, toCNOutput) = try await lab.ping(from: vm, "10.10.0.9")
        #expect(toCN, "VM → cn \(when): \(toCNOutput)", sourceLocation: sourceLocation)
    }
}
