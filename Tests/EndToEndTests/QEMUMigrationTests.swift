import Foundation
import LabNetwork
import LabScenario
import LabSupport
import Testing

/// The lab's scenario, shortened: a real QEMU VM boots at home and is live-migrated to a
/// site and back, across the WAN delay line (3 ms one way), with the real agents and the
/// correspondent probing it every millisecond. Needs root, QEMU, tcpdump and nftables
/// (scripts/install-deps.sh), and the guest image (downloaded from Debian once, cached).
@Suite("A real QEMU VM live-migrated away from home and back", .serialized)
struct QEMUMigrationTests {
    @Test("home → site A → home, announce only then make-before-break: placement after each step, the old site revoked, no probe lost outside QEMU's downtime with make-before-break, the guest unchanged")
    func awayAndBack() async throws {
        guard TestEnvironment.require(TestEnvironment.isRoot, "the QEMU lab needs root (namespaces, TUN and TAP devices)") else { return }
        for tool in ["qemu-system-x86_64", "tcpdump", "nft", "ip", "apt-get", "cpio", "busybox"] {
            guard TestEnvironment.require(TestEnvironment.tool(tool) != nil, "\(tool) is not installed (scripts/install-deps.sh)") else { return }
        }
        guard let homeAgent = TestEnvironment.builtExecutable("home-agent") else {
            _ = TestEnvironment.require(false, "home-agent, site-agent and glm-wan are not built beside the tests")
            return
        }
        let folder = URL(fileURLWithPath: homeAgent).deletingLastPathComponent().path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("glm-qemu-test-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = ScenarioOptions(programs: folder, output: output)
        options.sites = 1
        options.route = [.home, .site(1), .home]
        options.oneWayDelay = .milliseconds(3)
        options.settle = .milliseconds(600)
        options.modes = [ScenarioOptions.announce, ScenarioOptions.makeBeforeBreak]

        let checked = Checks()
        let result = try await MigrationScenario.run(options, log: { print("lab: \($0)") }, afterEach: { migration, agents in
            // The operator's view after each step.
            let bindings = try await agents.bindings()
            let siteA = try await agents.status(site: 1)
            await checked.record(migration.to, binding: bindings[migration.vm.mac], siteA: siteA[migration.vm.mac])
        })
        print(result.report.summary)

        #expect(result.placementProblems.isEmpty, "\(result.placementProblems)")
        let steps = await checked.steps
        #expect(steps.count == 4)
        for (index, step) in steps.enumerated() {
            if index % 2 == 0 {
                #expect(step.binding == "site-a" && step.siteA == "served", "at site A: \(steps)")
            } else {
                #expect(step.binding == nil && step.siteA == nil, "home again: \(steps)")
            }
        }

        // The guest's own view of its network, from its console, before and after.
        #expect(!result.configurationBefore.isEmpty)
        #expect(result.configurationAfter == result.configurationBefore)
        let before = try #require(result.configurationBefore["vm1"])
        #expect(before.addresses.contains("10.10.0.50/24") && before.defaultGateway == "10.10.0.1", "\(before)")

        let records = result.report.migrations
        try #require(records.count == 4)
        for away in records where away.to == "site-a" {
            #expect(away.timeline.updateSent != nil && away.timeline.acknowledgementReceived != nil && away.timeline.homeAgentSwitched != nil)
        }
        for back in records where back.to == "home" {
            #expect(back.timeline.oldSiteRevoked != nil, "the home agent revoked site A when the VM came home")
        }
        for (record, probes) in zip(records, result.probes) {
            #expect(record.probes.sent > 300, "\(record.from) → \(record.to): probes ran")
            if record.mode == ScenarioOptions.makeBeforeBreak {
                // Prepared before QEMU moved anything: not one probe lost to mobility.
                let stopped = try #require(record.timeline.sourceStopped)
                let resumed = try #require(record.timeline.resumed)
                let oneWay = record.from == "home" ? 0 : 0.003
                let outside = probes.filter { $0.roundTripMilliseconds == nil && ($0.sent < stopped - oneWay || $0.sent > resumed) }
                let offsets = outside.map { String(format: "%+.1f ms", ($0.sent - resumed) * 1000) }
                #expect(outside.isEmpty && record.probes.lostOutsideDowntime == 0,
                        "\(record.from) → \(record.to) with make-before-break: lost outside QEMU's downtime: \(offsets)")
                print("\(record.from) → \(record.to) (make-before-break): QEMU downtime \(record.qemuDowntimeMilliseconds) ms, "
                      + "mobility overhead \(record.mobilityOverheadMilliseconds ?? .nan) ms, lost \(record.probes.lost)")
                continue
            }
            let stopped = try #require(record.timeline.sourceStopped)
            let resumed = try #require(record.timeline.resumed)
            let switched = try #require(record.timeline.homeAgentSwitched)
            let oneWay = record.from == "home" ? 0 : 0.003
            // With the announce as the only signal, the probes sent between the resume and
            // the home agent's switch go to the old place: one round trip's worth, the
            // floor. Every other probe sent outside QEMU's downtime is answered.
            let lost = probes.filter { $0.roundTripMilliseconds == nil }
            let lostElsewhere = lost.filter { $0.sent < stopped - oneWay - 0.001 || $0.sent > switched + 0.001 }
            let offsets = lostElsewhere.map { String(format: "%+.1f ms", ($0.sent - resumed) * 1000) }
            #expect(lostElsewhere.isEmpty, "\(record.from) → \(record.to): lost outside the downtime and the handoff: \(offsets)")
            let overhead = try #require(record.mobilityOverheadMilliseconds)
            print("\(record.from) → \(record.to): QEMU downtime \(record.qemuDowntimeMilliseconds) ms, mobility overhead \(overhead) ms")
        }
    }

    actor Checks {
        struct Step: CustomStringConvertible {
            var host: LabTopology.Host
            var binding: String?
            var siteA: String?
            var description: String { "\(host.reportName): binding \(binding ?? "none"), site A \(siteA ?? "none")" }
        }
        var steps: [Step] = []
        func record(_ host: LabTopology.Host, binding: String?, siteA: String?) {
            steps.append(Step(host: host, binding: binding, siteA: siteA))
        }
    }
}
