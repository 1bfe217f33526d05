import Foundation
import GLMWire
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
    @Test("home → site A → home, announce only then make-before-break: placement after each step, the old site revoked, no probe lost outside QEMU's downtime with make-before-break, the guest unchanged",
          arguments: ["ebpf", "user-space"])
    func awayAndBack(tunnel: String) async throws {
        guard TestEnvironment.require(TestEnvironment.isRoot, "the QEMU lab needs root (namespaces, TUN and TAP devices)") else { return }
        for tool in ["qemu-system-x86_64", "tcpdump", "nft", "ip", "apt-get", "cpio", "busybox"] {
            guard TestEnvironment.require(TestEnvironment.tool(tool) != nil, "\(tool) is not installed (scripts/install-deps.sh)") else { return }
        }
        guard let homeAgent = TestEnvironment.builtExecutable("home-agent") else {
            _ = TestEnvironment.require(false, "home-agent, site-agent and glm-wan are not built beside the tests")
            return
        }
        let folder = URL(fileURLWithPath: homeAgent).deletingLastPathComponent().path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("glm-qemu-test-\(getpid())-\(tunnel)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = ScenarioOptions(programs: folder, output: output)
        options.tunnelImplementation = tunnel
        options.sites = 1
        options.route = [.home, .site(1), .home]
        options.oneWayDelay = .milliseconds(3)
        options.settle = .milliseconds(600)
        options.modes = [ScenarioOptions.announce, ScenarioOptions.makeBeforeBreak]

        let checked = Checks()
        let lines = Lines()
        let result = try await MigrationScenario.run(options, log: { line in
            print("lab: \(line)")
            lines.append(line)
        }, afterEach: { migration, agents in
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
        // A line per hop as it completed, numbered, with its figures, seen over the hop's
        // first part (the report's runs on to the next hop): its lost probes and its gap no
        // more than the report's; the gap there, and a gap of QEMU's downtime whole (the
        // line waits for the probes after the resume).
        let progress = lines.all.filter { $0.hasPrefix("[") }
        #expect(progress.count == 4, "\(lines.all)")
        for (index, (line, record)) in zip(progress, records).enumerated() {
            #expect(line.hasPrefix("[\(index + 1)/4] \(record.hop) \(record.mode): gap "), "\(line)")
            let words = line.split(separator: " ")
            let lost = words.firstIndex(of: "lost").map { Int(words[$0 + 1]) ?? -1 } ?? -1
            #expect(lost >= 0 && lost <= record.probes.lost, "\(line) against \(record.probes.lost) lost in the report")
            let gap = words.firstIndex(of: "gap").flatMap { Double(words[$0 + 1]) }
            if let reported = record.trafficGapMilliseconds {
                let tolerance = max(0.1, reported * 0.01)
                let seen = try #require(gap, "\(line): no gap, against \(reported) ms in the report")
                #expect(seen <= reported + tolerance, "\(line) against a traffic gap of \(reported) ms in the report")
                if reported >= 50 {
                    #expect(seen >= reported - tolerance, "\(line) against a traffic gap of \(reported) ms in the report")
                }
            }
        }
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
            // The downtime as the correspondent sees it starts one one-way trip before STOP:
            // the configured delay, or more when the probes themselves took longer on a
            // loaded host (half their 95th-percentile round trip before the stop).
            let before = probes.filter { $0.sent < stopped }.compactMap(\.roundTripMilliseconds).sorted()
            let measured = before.isEmpty ? 0 : before[before.count * 95 / 100] / 2000
            let oneWay = max(record.from == "home" ? 0 : 0.003, measured)
            // With the announce as the only signal, the probes sent between the resume and
            // the home agent's switch go to the old place: one round trip's worth, the
            // floor. Every other probe sent outside QEMU's downtime is answered.
            // A probe sent just after the switch meets the site at the same time as its PBA:
            // it is lost if it arrives before the site has served the VM (up to 3 ms on a
            // host whose cores QEMU's emulation keeps busy).
            let served = record.timeline.acknowledgementReceived.map { $0 - oneWay } ?? switched
            let lost = probes.filter { $0.roundTripMilliseconds == nil }
            let lostElsewhere = lost.filter { $0.sent < stopped - oneWay - 0.001 || $0.sent > max(switched, served) + 0.003 }
            let offsets = lostElsewhere.map { String(format: "%+.1f ms", ($0.sent - resumed) * 1000) }
            #expect(lostElsewhere.isEmpty, "\(record.from) → \(record.to): lost outside the downtime and the handoff: \(offsets)")
            let overhead = try #require(record.mobilityOverheadMilliseconds)
            print("\(record.from) → \(record.to): QEMU downtime \(record.qemuDowntimeMilliseconds) ms, mobility overhead \(overhead) ms")
        }
    }

    /// The federation of FederationLabTests (two sites of two hypervisors, 3 ms one way per
    /// site, operators' files) with a real QEMU guest: a1 boots on A1, at home, and migrates
    /// to B1 then back home to A2, each destination prepared first as libvirt's hook does,
    /// while cn1 probes it every millisecond.
    @Test("federation, make-before-break: a1 A1 → B1 → A2 (a return home to a hypervisor that is not the home agent's host), no probe lost outside QEMU's downtime")
    func federationMakeBeforeBreak() async throws {
        guard let tools = FederationLabTests.tools() else { return }
        for tool in ["qemu-system-x86_64", "apt-get", "cpio", "busybox"] {
            guard TestEnvironment.require(TestEnvironment.tool(tool) != nil, "\(tool) is not installed (scripts/install-deps.sh)") else { return }
        }
        let a1 = FederationLabTests.a1
        let (A1, A2, B1) = (FederationLabTests.A1, FederationLabTests.A2, FederationLabTests.B1)
        let topology = try await FederationTopology(ip: tools.lab.ip, siteCount: 2, hypervisorsPerSite: 2,
                                                    delayLine: DelayLine.Configuration(sites: 2, siteDelay: .milliseconds(3)),
                                                    wanProgram: tools.wan)
        defer { topology.remove() }
        let agents = try await FederationAgents(topology: topology, programs: tools.programs, vms: [1: [a1], 2: []],
                                                expectedRoundTrip: .milliseconds(6))
        // The guest image (Debian's cloud kernel, a busybox initramfs) is built once and cached.
        let guest = try await LabGuest.boot(a1, at: A1, topology: topology, image: .prepare(report: { print("lab: \($0)") }),
                                            folder: topology.file("a1"))
        defer { guest.kill() }
        let before = try await guest.networkConfiguration()
        #expect(before.addresses.contains("10.1.0.50/24") && before.defaultGateway == "10.1.0.1", "\(before)")

        // A booting QEMU announces nothing: libvirt's hook tells the site agent on `started`.
        let booted = try await agents.notify("arrived", a1.mac, at: A1)
        try #require(booted.succeeded, "notify arrived at A1: \(booted.standardOutput) \(booted.standardError)")
        var reached = await waitUntil(timeout: .seconds(5)) { (try? await Self.placement(agents)) == Self.placement(a1: A1) }
        var now = (try? await Self.placement(agents))?.description ?? "?"
        try #require(reached, "a1 home at A1: \(now)")

        let prober = try await ProbeRun(vm: a1, from: topology.namespace(of: .correspondent(site: 1)), spawn: topology.spawn,
                                        program: tools.wan, interval: .milliseconds(1), file: topology.file("a1.probes"))
        let settle = Duration.seconds(1)
        try await Task.sleep(for: settle)

        var hops: [Hop] = []
        for (number, destination) in [B1, A2].enumerated() {
            let source = guest.host
            let outcome = try await guest.migrate(to: destination, hop: number + 1) {
                // Make-before-break, as libvirt's hook does at `migrate begin`: a foreign site
                // is `prepared` (the home agent bicasts there), a home hypervisor `returning`
                // (the home agent copies a1's traffic onto the home LAN).
                let incoming = try await agents.notify("incoming", a1.mac, at: destination)
                try #require(incoming.succeeded, "notify incoming at \(destination): \(incoming.standardOutput) \(incoming.standardError)")
                let state = try await agents.status(destination)[a1.mac]
                try #require(state == (destination.site == 1 ? "returning" : "prepared"), "a1 at \(destination): \(state ?? "none")")
            }
            // What the hook's `release` does at the host left.
            let release = try await agents.notify("departed", a1.mac, at: source)
            #expect(release.succeeded, "notify departed at \(source): \(release.standardOutput) \(release.standardError)")
            reached = await waitUntil(timeout: .seconds(5)) { (try? await Self.placement(agents)) == Self.placement(a1: destination) }
            now = (try? await Self.placement(agents))?.description ?? "?"
            #expect(reached, "a1 at \(destination): \(now)")
            hops.append(Hop(from: source, to: destination, requested: outcome.requestedAt,
                            stopped: try #require(outcome.sourceStoppedAt), resumed: try #require(outcome.destinationResumedAt),
                            downtimeMilliseconds: Self.milliseconds(outcome.downtime), oneWay: Self.oneWay(to: source, in: topology)))
            try await Task.sleep(for: settle)
        }

        let after = try await guest.networkConfiguration()
        let log = try await prober.stop()
        await agents.stop()
        await guest.stop()
        #expect(after == before, "the guest's own network configuration is unchanged")

        // Each hop's probes run from its `migrate` to the next one's. A probe may be lost only
        // in QEMU's downtime as the correspondent sees it: sent from STOP − d (d the one-way
        // delay from cn1 to the host left) to RESUME.
        let windows = hops.map { Self.nanoseconds($0.stopped - $0.oneWay)...Self.nanoseconds($0.resumed) }
        for (index, hop) in hops.enumerated() {
            let end = index + 1 < hops.count ? Self.nanoseconds(hops[index + 1].requested) : .max
            let probes = log.probes.filter { (Self.nanoseconds(hop.requested)..<end).contains($0.sent) }
            let segment = ProbeLog(target: log.target, intervalNanoseconds: log.intervalNanoseconds, duplicates: 0, probes: probes)
            let outside = segment.lost(outside: windows[index])
            let gap = segment.longestGap.map { String(format: "%.1f ms", Double($0.nanoseconds) / 1e6) } ?? "none"
            print("\(hop.from) → \(hop.to) (make-before-break): traffic gap \(gap), QEMU downtime \(hop.downtimeMilliseconds) ms, "
                  + "STOP→RESUME \(String(format: "%.1f", (hop.resumed - hop.stopped) * 1000)) ms, d \(hop.oneWay * 1000) ms, "
                  + "lost \(segment.lostCount) of \(segment.sentCount), outside the downtime \(outside.count)")
            let offsets = outside.prefix(20).map { String(format: "%+.1f ms", (Double($0.sent) / 1e9 - hop.resumed) * 1000) }
            #expect(segment.sentCount > 300, "\(hop.from) → \(hop.to): probes ran")
            #expect(outside.isEmpty, "\(hop.from) → \(hop.to): \(outside.count) lost outside QEMU's downtime (sent, from RESUME): \(offsets)")
        }
        let beforeFirst = log.probes.filter { !$0.isAnswered && $0.sent < Self.nanoseconds(hops[0].requested) }
        #expect(beforeFirst.isEmpty, "lost at A1 before any migration: \(beforeFirst.count)")
    }

    /// One hop of the federation test, as QEMU told it (seconds since 1970).
    struct Hop {
        var from: FederationTopology.Hypervisor
        var to: FederationTopology.Hypervisor
        var requested: Double
        var stopped: Double
        var resumed: Double
        var downtimeMilliseconds: Double
        /// The one-way delay from cn1 to the host left, in seconds.
        var oneWay: Double
    }

    /// Both home agents' bindings and every hypervisor's status, as one comparable value.
    static func placement(_ agents: FederationAgents) async throws -> FederationLabTests.Placement {
        let bindings = try await agents.allBindings().mapValues(\.description)
        var states: [String: String] = [:]
        for (hypervisor, status) in try await agents.allStatuses() {
            for (mac, state) in status { states["\(mac)@\(hypervisor)"] = state }
        }
        return FederationLabTests.Placement(bindings: bindings, states: states)
    }

    /// Where a1 stands at `hypervisor`: on its home site, no binding and `home` there; away,
    /// bound to that hypervisor and `served` there. No other hypervisor lists it.
    static func placement(a1 hypervisor: FederationTopology.Hypervisor) -> FederationLabTests.Placement {
        let mac = FederationLabTests.a1.mac
        return hypervisor.site == 1
            ? FederationLabTests.Placement(bindings: [:], states: ["\(mac)@\(hypervisor)": "home"])
            : FederationLabTests.Placement(bindings: [mac: FederationLabTests.binding(hypervisor)],
                                           states: ["\(mac)@\(hypervisor)": "served"])
    }

    /// The one-way delay from cn1 to a VM of site 1 at `hypervisor`: none on the home LAN;
    /// elsewhere the WAN's, between ha1 and the hypervisor, that the delay line adds.
    static func oneWay(to hypervisor: FederationTopology.Hypervisor, in topology: FederationTopology) -> Double {
        guard hypervisor.site != 1, let line = topology.delayLine,
              let ha1 = IPv4Address(FederationTopology.homeAgentWANAddress(site: 1)),
              let host = IPv4Address(hypervisor.wanAddress) else { return 0 }
        let delay = line.delay(from: ha1, to: host)
        return Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func nanoseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) }

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

/// The lines a run logged, in order.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
