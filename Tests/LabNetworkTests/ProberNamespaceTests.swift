import Foundation
import LabNetwork
import LabSupport
import Testing

/// The prober for real: from the correspondent, through the home host and the delay
/// line, to a site's host, across an outage on the way to the site, stopped by SIGTERM
/// as the scenario stops it; and against a VM that answers twice. Needs root.
@Suite("Prober in network namespaces", .serialized)
struct ProberNamespaceTests {
    @Test("the probe log shows an outage as the longest gap, and no loss outside it")
    func outageIsTheLongestGap() async throws {
        guard let tools = LabPrerequisites() else { return }
        let lab = try await LabTopology(ip: tools.ip, siteCount: 1,
                                        delayLine: DelayLine.Configuration(sites: 1, siteDelay: .milliseconds(3)),
                                        wanProgram: tools.wan)
        defer { lab.remove() }
        // The correspondent reaches the WAN through the home host (the scenario's path
        // is the tunnel; this test needs only a routed one).
        try await lab.command(["-n", lab.cn, "route", "add", "default", "via", LabTopology.homeLANAddress])
        try await lab.sysctl(lab.home, "net.ipv4.ip_forward", "1")
        try await lab.command(["-n", lab.wan, "route", "add", "10.10.0.0/24", "via", LabTopology.Host.home.wanAddress])

        let output = lab.file("probe.log")
        let target = LabTopology.Host.site(1).wanAddress
        let prober = try lab.spawn(lab.cn, [tools.wan, "probe", "--target", target, "--interval-ms", "1", "--output", output])
        defer { prober.kill() }
        try #require(await waitUntil { prober.standardOutput.contains("probing") }, "\(prober.standardError)")
        try await Task.sleep(for: .seconds(1))

        // The WAN core drops everything towards the site for 300 ms (an nftables rule, not
        // the link taken down: a veth brought up again may carry nothing until the
        // kernel's link watcher runs, up to a second later, which CI once saw as a 1 s
        // gap). The window allows for the probes in flight when it began (3 ms each way).
        let outageStart = wallClock() - 10_000_000
        let cut = try await lab.run(lab.wan, ["nft", "add table inet outage ; "
            + "add chain inet outage forward { type filter hook forward priority 0 ; } ; "
            + "add rule inet outage forward oifname to-site1 drop"])
        try #require(cut.succeeded, "nft: \(cut.standardError)")
        try await Task.sleep(for: .milliseconds(300))
        let heal = try await lab.run(lab.wan, ["nft", "delete table inet outage"])
        try #require(heal.succeeded, "nft: \(heal.standardError)")
        let outageEnd = wallClock() + 10_000_000
        try await Task.sleep(for: .seconds(1))

        prober.signal(SIGTERM)
        #expect(await prober.waitForExit(timeout: .seconds(10)))
        #expect(prober.status == 0, "\(prober.standardError)")
        let log = try ProbeLog(contentsOfFile: output)
        print("prober across a 300 ms outage: \(log.figures), longest gap \(Double(log.longestGap?.nanoseconds ?? 0) / 1e6) ms")

        #expect(log.target == target && log.intervalNanoseconds == 1_000_000 && log.duplicates == 0)
        #expect(log.probes.map(\.number) == Array(1...UInt32(log.sentCount)))
        let gap = try #require(log.longestGap)
        #expect(gap.nanoseconds >= 250_000_000, "longest gap \(gap)")
        #expect(gap.before.sent < outageEnd && gap.after.sent > outageStart, "gap \(gap) is not the outage")
        #expect(gap.lostProbes == log.lostCount, "every loss is in the outage's gap: \(gap.lostProbes) of \(log.lostCount)")
        #expect(log.lost(outside: outageStart...outageEnd).isEmpty, "lost outside the outage: \(log.lost(outside: outageStart...outageEnd))")
        // Two routers on the way back: the WAN core (one hop, delay line or not) and home.
        #expect(Set(log.probes.compactMap(\.ttl)) == [62])
        #expect(prober.standardOutput.contains("probes sent \(log.sentCount) answered \(log.answeredCount)"))
    }

    @Test("a VM answering from two places shows as duplicate replies")
    func twoAnswersAreDuplicates() async throws {
        guard let tools = LabPrerequisites() else { return }
        let lab = try await LabTopology(ip: tools.ip, siteCount: 1)
        defer { lab.remove() }
        // One VM's identity in two places on the home LAN (as if both ends of a migration
        // ran), their ports not learning, so that the bridge floods the VM's frames to both.
        for name in ["a", "b"] {
            let vm = try await lab.attachVethVM(name: name, mac: "52:54:00:12:34:56", address: "10.10.0.50/24", at: .home)
            _ = try await ProgramRun.run(tools.bridge, ["-n", lab.home, "link", "set", "dev", vm.port, "learning", "off"])
        }
        let log = try await tools.probe("10.10.0.50", from: lab.cn, in: lab, seconds: 0.3)
        print("prober against a doubled VM: \(log.figures), \(log.duplicates) duplicates")
        #expect(log.sentCount > 0 && log.lostCount == 0)
        #expect(log.duplicates == log.sentCount, "\(log.duplicates) duplicates for \(log.sentCount) probes")
    }

    private func wallClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
