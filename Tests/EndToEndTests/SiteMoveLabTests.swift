import Foundation
import LabNetwork
import LabScenario
import LabSupport
import Testing

/// The real `home-agent` and a real `site-agent` on each of two sites, in the lab's
/// namespaces with the WAN delay line on (3 ms one way per site), and a namespace "VM"
/// whose port moves between the hosts' bridges as a live migration moves a VM's tap,
/// each arrival followed by the frames a migrated QEMU VM sends (five RARP announces
/// and the guest's gratuitous ARP). The correspondent on the home LAN and the VM ping
/// each other after every move; the VM's own configuration never changes.
@Suite("A VM moving between sites, with the real agents", .serialized)
struct SiteMoveLabTests {
    static let vm = VMProfile.lab(count: 1)[0]

    struct Tools {
        let ip: String
        let ping: String
        let probe: String
        let wan: String
        let programs: LabAgents.Programs
        let siteAgent: String
    }

    static func tools(sourceLocation: SourceLocation = #_sourceLocation) -> Tools? {
        guard let lab = TestEnvironment.labTools(for: "the site move tests", sourceLocation: sourceLocation) else { return nil }
        guard let homeAgent = TestEnvironment.builtExecutable("home-agent"),
              let siteAgent = TestEnvironment.builtExecutable("site-agent"),
              let wan = TestEnvironment.builtExecutable("glm-wan") else {
            _ = TestEnvironment.require(false, "home-agent, site-agent and glm-wan are not built beside the tests "
                                        + "(swift build --build-tests builds them)", sourceLocation: sourceLocation)
            return nil
        }
        return Tools(ip: lab.ip, ping: lab.ping, probe: lab.probe, wan: wan,
                     programs: LabAgents.Programs(homeAgent: homeAgent, siteAgent: siteAgent), siteAgent: siteAgent)
    }

    /// The lab with two sites and the delay line, the VM at home, and the agents running.
    static func lab(_ tools: Tools, tunnel: String? = nil) async throws -> (LabTopology, LabTopology.VethVM, LabAgents) {
        let topology = try await LabTopology(ip: tools.ip, siteCount: 2,
                                             delayLine: DelayLine.Configuration(sites: 2, siteDelay: .milliseconds(3)),
                                             wanProgram: tools.wan)
        do {
            let vm = try await topology.attachVethVM(name: vm.name, mac: vm.mac, address: "\(vm.address)/24", at: .home)
            let agents = try await LabAgents(topology: topology, programs: tools.programs, vms: [Self.vm],
                                             expectedRoundTrip: .milliseconds(6), tunnelImplementation: tunnel)
            return (topology, vm, agents)
        } catch {
            topology.remove()
            throw error
        }
    }

    /// What a migrated VM sends as it resumes on its new host.
    static func announce(_ topology: LabTopology, _ vm: LabTopology.VethVM, _ tools: Tools) async throws {
        let run = try await topology.run(vm.namespace, [tools.probe, "announce", "--interface", "eth0", "--mac", vm.mac,
                                                        "--count", "5", "--interval-ms", "20", "--guest-address", Self.vm.address])
        try #require(run.succeeded, "announce: \(run.standardError)")
    }

    /// The VM's own view of its network: addresses, routes.
    static func configuration(_ topology: LabTopology, _ vm: LabTopology.VethVM) async throws -> String {
        try await topology.output(["-n", vm.namespace, "-4", "address", "show", "dev", "eth0"])
            + (try await topology.output(["-n", vm.namespace, "route", "show"]))
    }

    /// Where the agents have the VM: its binding's site at the home agent, its state at each site.
    struct Placement: Equatable {
        var binding: String?
        var siteA: String?
        var siteB: String?
    }

    static func placement(_ agents: LabAgents, _ mac: String) async -> Placement {
        let binding = (try? await agents.bindings())?[mac]
        let siteA = (try? await agents.status(site: 1))?[mac]
        let siteB = (try? await agents.status(site: 2))?[mac]
        return Placement(binding: binding, siteA: siteA, siteB: siteB)
    }

    /// Pings both ways: the correspondent the VM, and the VM the correspondent.
    static func pingBothWays(_ topology: LabTopology, _ vm: LabTopology.VethVM, _ tools: Tools,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for (namespace, target) in [(topology.cn, Self.vm.address), (vm.namespace, LabTopology.correspondentAddress)] {
            let run = try await topology.run(namespace, [tools.ping, "-c", "3", "-i", "0.05", "-W", "2", target],
                                             timeout: .seconds(10))
            #expect(run.succeeded && run.standardOutput.contains(" 0% packet loss"),
                    "ping \(target) from \(namespace): \(run.standardOutput) \(run.standardError)", sourceLocation: sourceLocation)
        }
    }

    @Test("home → site A → site B → home: served at each site, revoked at the one left, traffic both ways, the VM unchanged",
          arguments: ["ebpf", "user-space"])
    func moveAcrossSites(tunnel: String) async throws {
        guard let tools = Self.tools() else { return }
        let (topology, vm, agents) = try await Self.lab(tools, tunnel: tunnel)
        defer { topology.remove() }
        let before = try await Self.configuration(topology, vm)
        try await Self.pingBothWays(topology, vm, tools)

        // Home → site A.
        try await topology.moveVethVM(vm, to: .site(1))
        try await Self.announce(topology, vm, tools)
        let reached1 = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: "site-a", siteA: "served", siteB: nil)
        }
        #expect(reached1, "binding at site-a and served there")
        try await Self.pingBothWays(topology, vm, tools)

        // Site A → site B: the home agent revokes site A, which tears the VM down.
        try await topology.moveVethVM(vm, to: .site(2))
        try await Self.announce(topology, vm, tools)
        let reached2 = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: "site-b", siteA: nil, siteB: "served")
        }
        #expect(reached2, "binding at site-b, served there, gone from site-a")
        let siteARules = try await topology.output(["-n", topology.namespace(of: .site(1)), "rule", "show"])
        #expect(!siteARules.contains(Self.vm.address), "site A's policy rule for the VM is gone: \(siteARules)")
        try await Self.pingBothWays(topology, vm, tools)

        // Site B → home: the home agent sees the announce on its LAN and revokes site B.
        try await topology.moveVethVM(vm, to: .home)
        try await Self.announce(topology, vm, tools)
        let reached3 = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: nil, siteA: nil, siteB: nil)
        }
        #expect(reached3, "no binding once home, gone from site-b")
        try await Self.pingBothWays(topology, vm, tools)

        let after = try await Self.configuration(topology, vm)
        #expect(after == before, "the VM's own configuration is untouched")
        let statuses = await agents.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "every agent stops cleanly on SIGTERM: \(statuses)")
    }

    @Test("the libvirt hook: migrate prepares and release aborts; started registers the VM, release lets it go")
    func libvirtHook() async throws {
        guard let tools = Self.tools() else { return }
        let (topology, vm, agents) = try await Self.lab(tools)
        defer { topology.remove() }
        let hook = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/libvirt/qemu-hook.sh").path
        let domain = """
        <domain type='kvm'><name>\(Self.vm.name)</name><devices>
          <interface type='bridge'><mac address='\(vm.mac)'/><source bridge='br0'/></interface>
        </devices></domain>
        """
        let xml = topology.file("domain.xml")
        try domain.write(toFile: xml, atomically: true, encoding: .utf8)
        func runHook(_ operation: String, _ sub: String) async throws {
            let run = try await ProgramRun.run("/bin/sh", ["-c", "SITE_AGENT=\(tools.siteAgent) SITE_AGENT_SOCKET=\(agents.siteAgentSocket(1)) "
                + "GLM_HOOK_STATE=\(topology.file("hook")) \(hook) \(Self.vm.name) \(operation) \(sub) - < \(xml)"])
            #expect(run.succeeded, "hook \(operation): \(run.standardError)")
        }

        // An incoming migration begins: the site prepares (served before the VM arrives),
        // the binding does not move.
        try await topology.moveVethVM(vm, to: .site(1))
        try await runHook("migrate", "begin")
        let prepared = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: nil, siteA: "prepared", siteB: nil)
        }
        #expect(prepared, "prepared at site A, no binding yet")
        // It fails before the guest starts here: `release` aborts the preparation.
        try await runHook("release", "end")
        let aborted = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: nil, siteA: nil, siteB: nil)
        }
        #expect(aborted, "the preparation is gone")

        // A guest started here (first attach): `started` registers it.
        try await runHook("started", "begin")
        let reached4 = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: "site-a", siteA: "served", siteB: nil)
        }
        #expect(reached4, "registered and served after the hook's started")
        try await Self.pingBothWays(topology, vm, tools)

        // The guest shuts down: `release` deregisters it.
        try await runHook("release", "end")
        let reached5 = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: nil, siteA: nil, siteB: nil)
        }
        #expect(reached5, "released at the site and at the home agent")
        let statuses = await agents.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "every agent stops cleanly on SIGTERM: \(statuses)")
    }

    @Test("SIGHUP: a bad file is refused and the agent runs on; a VM's hint taken out keeps the VM served by its learnt anchor")
    func reloadOnSIGHUP() async throws {
        guard let tools = Self.tools() else { return }
        let (topology, vm, agents) = try await Self.lab(tools)
        defer { topology.remove() }
        try await topology.moveVethVM(vm, to: .site(1))
        try await Self.announce(topology, vm, tools)
        let served = await waitUntil(timeout: .seconds(5)) {
            await Self.placement(agents, vm.mac) == Placement(binding: "site-a", siteA: "served", siteB: nil)
        }
        #expect(served, "served at site A")
        let site = try #require(agents.siteAgent(1))
        let file = agents.folder + "/site1.yaml"
        let original = try String(contentsOfFile: file, encoding: .utf8)

        // A file that does not load: refused with file and line, nothing changes.
        try (original + "  bogus-key: 1\n").write(toFile: file, atomically: true, encoding: .utf8)
        site.signal(SIGHUP)
        let refused = await waitUntil(timeout: .seconds(5)) { site.standardError.contains("configuration not reloaded") }
        #expect(refused && site.standardError.contains("site1.yaml:"), "\(site.standardError.suffix(600))")
        #expect(site.status == -1, "still running")
        #expect(await Self.placement(agents, vm.mac) == Placement(binding: "site-a", siteA: "served", siteB: nil))

        // The VM no longer listed as a hint: its anchor was learnt, it stays served.
        try original.replacingOccurrences(of: "vms: [\"\(vm.mac)\"]", with: "vms: []")
            .write(toFile: file, atomically: true, encoding: .utf8)
        site.signal(SIGHUP)
        let reloaded = await waitUntil(timeout: .seconds(5)) { site.standardError.contains("configuration reloaded") }
        #expect(reloaded, "\(site.standardError.suffix(600))")
        #expect(await Self.placement(agents, vm.mac) == Placement(binding: "site-a", siteA: "served", siteB: nil))
        let rules = try await topology.output(["-n", topology.namespace(of: .site(1)), "rule", "show"])
        #expect(rules.contains(Self.vm.address), "site A still serves it: \(rules)")
        let statuses = await agents.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
    }
}
