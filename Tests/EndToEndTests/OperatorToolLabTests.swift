import Foundation
import GLMControl
import LabNetwork
import LabScenario
import LabSupport
import Testing

/// `glmctl` against the real agents in the lab's namespaces: three sites, the delay line
/// on (3 ms one way a site), heartbeats every 30 s with one unanswered allowed (RFC
/// 5847's shortest interval). Site A's agent is killed once it holds a VM (down at the
/// home agent within the heartbeat timeout), site B's key is changed under it (refused),
/// site C holds a VM and stays up; then a revocation, and a drain.
@Suite("glmctl status, watch, revoke and drain against running agents", .serialized)
struct OperatorToolLabTests {
    static let vms = VMProfile.lab(count: 3)
    static let heartbeat = LabAgents.Heartbeat(intervalSeconds: 30, missingAllowed: 1)

    @Test("status shows each peer up, down or refused; watch follows; revoke removes a binding; drain refuses arrivals")
    func operatorTools() async throws {
        guard let tools = SiteMoveLabTests.tools() else { return }
        guard let glmctl = TestEnvironment.builtExecutable("glmctl") else {
            _ = TestEnvironment.require(false, "glmctl is not built beside the tests (swift build --build-tests builds it)")
            return
        }
        let topology = try await LabTopology(ip: tools.ip, siteCount: 3,
                                             delayLine: DelayLine.Configuration(sites: 3, siteDelay: .milliseconds(3)),
                                             wanProgram: tools.wan)
        defer { topology.remove() }
        let started = ContinuousClock.now
        let agents = try await LabAgents(topology: topology, programs: tools.programs, vms: Self.vms,
                                         expectedRoundTrip: .milliseconds(6), heartbeat: Self.heartbeat, tunnelImplementation: "ebpf")
        let home = agents.homeAgentSocket
        let watch = try topology.spawn(topology.home, [glmctl, "watch", "--json", "--socket", home])
        defer { watch.kill() }

        // VM 1 at site A, VM 2 at site C, each announced as a migrated QEMU VM announces.
        for (vm, site) in [(Self.vms[0], 1), (Self.vms[1], 3)] {
            let veth = try await topology.attachVethVM(name: vm.name, mac: vm.mac, address: "\(vm.address)/24", at: .site(site))
            let run = try await topology.run(veth.namespace, [tools.probe, "announce", "--interface", "eth0", "--mac", vm.mac,
                                                              "--count", "3", "--interval-ms", "20"])
            try #require(run.succeeded, "announce: \(run.standardError)")
        }
        let bound = await waitUntil(timeout: .seconds(10)) {
            (try? await agents.bindings()) == [Self.vms[0].mac: "site-a", Self.vms[1].mac: "site-c"]
        }
        let bindings = try? await agents.bindings()
        try #require(bound, "bindings: \(String(describing: bindings))")
        // Ten echoes from the home LAN's correspondent to VM 2, through the tunnel to site C.
        let ping = try await topology.run(topology.cn, [tools.ping, "-c", "10", "-i", "0.02", "-W", "2", Self.vms[1].address],
                                          timeout: .seconds(10))
        #expect(ping.succeeded && ping.standardOutput.contains(" 0% packet loss"), "\(ping.standardOutput)")

        // Site A's agent dies with a VM bound there; site B's key changes under its agent.
        agents.siteAgent(1)?.kill()
        try "00112233445566778899aabbccddeeff\n".write(toFile: agents.keyFile(2) + ".new", atomically: true, encoding: .utf8)
        chmod(agents.keyFile(2) + ".new", 0o600)
        let siteBConfiguration = try String(contentsOfFile: "\(agents.folder)/site2.yaml", encoding: .utf8)
        try siteBConfiguration.replacingOccurrences(of: agents.keyFile(2), with: agents.keyFile(2) + ".new")
            .write(toFile: "\(agents.folder)/site2.yaml", atomically: true, encoding: .utf8)
        agents.siteAgent(2)?.signal(SIGHUP)
        try await Task.sleep(for: .milliseconds(300))
        // Site B asks for VM 3 with the wrong key: the home agent refuses it (146), and
        // site B cannot verify the refusal either.
        let refused = try await ProgramRun.run(tools.siteAgent, ["notify", "--vm", Self.vms[2].mac, "--event", "arrived",
                                                                 "--socket", agents.siteAgentSocket(2)])
        #expect(!refused.succeeded, "a registration with the wrong key: \(refused.standardOutput)")
        let siteB: SiteAgentStatus = try await ControlClient(path: agents.siteAgentSocket(2)).call(.status)
        #expect(siteB.homeAgents.map(\.health.state) == [.refused], "\(siteB.homeAgents)")

        // Within the heartbeat timeout (2 × 30 s from the binding), site A is down at the
        // home agent, site B refused, site C up with a round trip; the exit status says so.
        var status: HomeAgentStatus?
        let settled = await waitUntil(timeout: .seconds(90)) {
            status = try? await ControlClient(path: home).call(.status)
            let states = Dictionary(uniqueKeysWithValues: (status?.sites ?? []).map { ($0.name, $0.health.state) })
            return states == ["site-a": .down, "site-b": .refused, "site-c": .up]
        }
        let table = try await ProgramRun.run(glmctl, ["status", "--socket", home])
        print("glmctl status at the home agent, \(ContinuousClock.now - started) after the agents started:\n\(table.standardOutput)")
        try #require(settled, "\(String(describing: status?.sites))")
        #expect(table.status == 1, "a site down: glmctl status exits 1")
        let siteC = try #require(status?.sites.first { $0.name == "site-c" })
        #expect(siteC.vms == 1 && siteC.hosts.count == 1 && (siteC.health.roundTripMilliseconds ?? 0) >= 5.5,
                "site C: one VM, one host, a round trip across two 3 ms links: \(siteC)")
        // The tunnel's traffic with site C's host: the ten requests out, the ten replies in.
        let siteCTraffic = try #require(siteC.hosts.first?.traffic)
        #expect(siteCTraffic.packetsOut >= 10 && siteCTraffic.packetsIn >= 10 && siteC.traffic == siteCTraffic, "\(siteC)")
        #expect(status?.sites.first { $0.name == "site-a" }?.traffic?.packetsOut == 0, "nothing sent to site A's VM")
        let siteBAtHome = try #require(status?.sites.first { $0.name == "site-b" })
        #expect(siteBAtHome.health.refusals >= 1 && siteBAtHome.health.lastRefusal != nil, "\(siteBAtHome)")
        #expect(table.standardOutput.contains("site-a") && table.standardOutput.contains("DOWN")
                && table.standardOutput.contains("REFUSED"), "\(table.standardOutput)")
        // What moves the tunnelled packets, in the answer and the table.
        #expect(status?.dataPlane == DataPlaneStatus(implementation: "ebpf"), "\(String(describing: status?.dataPlane))")
        #expect(table.standardOutput.contains("tunnel (ebpf): out"), "\(table.standardOutput)")
        let atSiteC = try await ProgramRun.run(glmctl, ["status", "--socket", agents.siteAgentSocket(3)])
        print("glmctl status at site C's agent:\n\(atSiteC.standardOutput)")
        #expect(atSiteC.status == 0 && atSiteC.standardOutput.contains("up"), "\(atSiteC.standardOutput)")
        let siteCView: SiteAgentStatus = try await ControlClient(path: agents.siteAgentSocket(3)).call(.status)
        #expect(siteCView.dataPlane == DataPlaneStatus(implementation: "ebpf"), "\(String(describing: siteCView.dataPlane))")
        let homeTraffic = try #require(siteCView.homeAgents.first?.traffic)
        #expect(homeTraffic.packetsIn >= 10 && homeTraffic.packetsOut >= 10, "\(siteCView.homeAgents)")

        // An operator revokes VM 2: gone from the cache, and site C stops serving it.
        let revoke = try await ProgramRun.run(glmctl, ["revoke", Self.vms[1].mac, "--socket", home])
        #expect(revoke.succeeded, "\(revoke.standardOutput) \(revoke.standardError)")
        let revoked = await waitUntil(timeout: .seconds(5)) {
            let bound = (try? await agents.bindings())?[Self.vms[1].mac]
            let served = (try? await agents.status(site: 3))?[Self.vms[1].mac]
            return bound == nil && served == nil
        }
        #expect(revoked, "VM 2 still bound or served at site C")
        let again = try await ProgramRun.run(glmctl, ["revoke", Self.vms[1].mac, "--socket", home])
        #expect(again.status != 0 && again.standardError.contains("has no binding"), "\(again.standardError)")

        // Site C drains: an arrival is refused with the hook's status 3; undrained, accepted.
        let drain = try await ProgramRun.run(glmctl, ["drain", "--socket", agents.siteAgentSocket(3)])
        #expect(drain.succeeded, "\(drain.standardError)")
        let drained: SiteAgentStatus = try await ControlClient(path: agents.siteAgentSocket(3)).call(.status)
        #expect(drained.draining)
        let arrival = ["notify", "--vm", Self.vms[1].mac, "--event", "arrived", "--socket", agents.siteAgentSocket(3)]
        let refusedArrival = try await ProgramRun.run(tools.siteAgent, arrival)
        #expect(refusedArrival.status == 3, "\(refusedArrival.status): \(refusedArrival.standardOutput)")
        let boundWhileDraining = try await agents.bindings()[Self.vms[1].mac]
        #expect(boundWhileDraining == nil, "nothing registered while draining")
        let undrain = try await ProgramRun.run(glmctl, ["undrain", "--socket", agents.siteAgentSocket(3)])
        #expect(undrain.succeeded, "\(undrain.standardError)")
        let accepted = try await ProgramRun.run(tools.siteAgent, arrival)
        #expect(accepted.succeeded, "\(accepted.standardOutput) \(accepted.standardError)")

        // What watch saw, in order: both registrations, site B's refusals, site A's host
        // down, the revocation.
        try await Task.sleep(for: .milliseconds(300))
        watch.terminate(grace: .seconds(2))
        let events = watch.standardOutput.split(separator: "\n").compactMap {
            try? JSONDecoder().decode(ControlEvent.self, from: Data($0.utf8))
        }
        print("glmctl watch at the home agent: \(events.count) events\n" + events.map { "  \($0.kind.rawValue) \($0.vm ?? "") \($0.peer ?? ""): \($0.detail)" }.joined(separator: "\n"))
        let kinds = { (kind: ControlEvent.Kind) in events.filter { $0.kind == kind } }
        #expect(Set(kinds(.registered).compactMap(\.vm)) == [Self.vms[0].mac, Self.vms[1].mac], "\(events)")
        #expect(kinds(.refused).contains { $0.peer == "site-b" && $0.vm == Self.vms[2].mac }, "a refusal names its VM by its MAC: \(events)")
        #expect(kinds(.peer).contains { $0.peer == "site-a" && $0.detail.contains("does not answer") }, "\(events)")
        #expect(kinds(.removed).contains { $0.vm == Self.vms[1].mac && $0.detail.contains("administrative") }, "\(events)")
        #expect(kinds(.registered).contains { $0.vm == Self.vms[1].mac && $0.peer == "site-c" }, "\(events)")
        await agents.stop()
    }
}
