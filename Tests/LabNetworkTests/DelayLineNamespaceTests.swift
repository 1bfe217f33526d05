import Foundation
import LabNetwork
import LabSupport
import Testing

/// The delay line for real: a ``LabTopology`` whose WAN core runs `glm-wan delay-line`,
/// and `glm-wan probe` measuring round trips through it at 1,000 probes a second.
/// Needs root.
@Suite("WAN delay line in network namespaces", .serialized)
struct DelayLineNamespaceTests {
    /// The one timed assertion the lab's issue asks for: the measured round trip within
    /// 0.5 ms of the configured one, for three different delays in one lab.
    ///
    /// A run on a virtual machine loses its processors to the host for milliseconds at a
    /// time (steal time; CI has seen the host take 40 % of them), and no priority in the
    /// guest helps: every packet that arrives during a stall is late by it. So the judge
    /// is what a stall cannot fake: no probe ever comes back sooner than the configured
    /// round trip (a delay line holding too little fails), and the round trips the stalls
    /// spared — the 10th percentile — are within 0.5 ms of it (one holding too much, or
    /// the wrong link's delay, fails). The median must be within 0.5 ms too unless the
    /// host stole 5 % or more of the processors' time during the attempt; each attempt
    /// prints its figures and the steal, and a path that misses is measured again, up to
    /// three times.
    @Test("round trips match the configured link delays")
    func roundTripsMatchConfiguration() async throws {
        guard let tools = LabPrerequisites() else { return }
        let configuration = DelayLine.Configuration(
            home: DelayLine.Link(delay: .zero),
            sites: [DelayLine.Link(delay: .milliseconds(3)), DelayLine.Link(delay: .milliseconds(10)), DelayLine.Link(delay: .zero)])
        let lab = try await LabTopology(ip: tools.ip, siteCount: 3, delayLine: configuration, wanProgram: tools.wan)
        defer { lab.remove() }

        let paths: [(from: String, to: LabTopology.Host, roundTrip: Double, name: String)] = [
            (lab.home, .site(1), 6, "home → site1 (3 ms link)"),
            (lab.home, .site(2), 20, "home → site2 (10 ms link)"),
            (lab.sites[0], .site(2), 26, "site1 → site2 (3 + 10 ms)"),
            (lab.home, .site(3), 0, "home → site3 (0 ms link)"),
        ]
        let seconds = 2.0
        for path in paths {
            var verdicts: [String] = []
            var accurate = false
            for attempt in 1...3 where !accurate {
                let stolenBefore = StealTime.milliseconds()
                let log = try await tools.probe(path.to.wanAddress, from: path.from, in: lab, seconds: seconds)
                let stolen = StealTime.milliseconds().flatMap { now in stolenBefore.map { now - $0 } }
                let share = stolen.map { Double($0) / (seconds * 1000 * Double(ProcessInfo.processInfo.activeProcessorCount)) }
                let milliseconds = { (fraction: Double) in log.roundTrip(percentile: fraction).map { Double($0) / 1e6 } }
                let fastest = try #require(milliseconds(0), "\(path.name): no answer")
                let spared = try #require(milliseconds(0.1)), median = try #require(milliseconds(0.5))
                print("delay line \(path.name), attempt \(attempt): expected RTT \(path.roundTrip) ms, "
                      + String(format: "min %.3f ms, p10 %.3f ms, ", fastest, spared) + log.figures
                      + (share.map { String(format: ", host stole %.0f %% of the processors' time", $0 * 100) } ?? ""))
                #expect(log.lostCount == 0, "\(path.name): \(log.lostCount) lost")
                // The WAN core is one hop, delay line or not.
                #expect(Set(log.probes.compactMap(\.ttl)) == [63], "\(path.name): TTLs \(Set(log.probes.compactMap(\.ttl)))")
                // Sent stamps are taken before the send, reply stamps by the kernel on
                // arrival: a round trip is never measured short.
                #expect(fastest >= path.roundTrip, "\(path.name): a probe came back after \(fastest) ms, sooner than \(path.roundTrip) ms")
                let stalled = (share ?? 0) >= 0.05
                accurate = abs(spared - path.roundTrip) <= 0.5 && (stalled || abs(median - path.roundTrip) <= 0.5)
                verdicts.append(String(format: "p10 %.3f, median %.3f", spared, median) + (stalled ? " (stalled)" : ""))
            }
            #expect(accurate, "\(path.name): expected \(path.roundTrip) ms, measured \(verdicts.joined(separator: "; ")) ms")
        }
        let counters = try #require(await lab.stopDelayLine())
        print("delay line counters: \(counters)")
        #expect(counters.droppedOverflow == 0 && counters.droppedByLoss == 0 && counters.failedWrites == 0, "\(counters)")
        #expect(counters.forwarded >= UInt64(paths.count) * 2 * 1900, "\(counters)")
    }

    @Test("a link's loss drops about its share, each drop counted")
    func lossDropsTheConfiguredShare() async throws {
        guard let tools = LabPrerequisites() else { return }
        let configuration = DelayLine.Configuration(home: DelayLine.Link(delay: .zero),
                                                    sites: [DelayLine.Link(delay: .milliseconds(1), lossPercent: 10)])
        let lab = try await LabTopology(ip: tools.ip, siteCount: 1, delayLine: configuration, wanProgram: tools.wan)
        defer { lab.remove() }

        let log = try await tools.probe(LabTopology.Host.site(1).wanAddress, from: lab.home, in: lab, seconds: 2)
        let counters = try #require(await lab.stopDelayLine())
        // Request and reply each cross the 10 % link: 1 - 0.9² = 19 % of probes lost.
        let share = Double(log.lostCount) / Double(log.sentCount)
        print("delay line loss 10 % per crossing: \(log.figures), \(String(format: "%.1f", share * 100)) % lost (expected 19 %); \(counters)")
        #expect(log.sentCount > 1000)
        #expect((0.14...0.24).contains(share), "lost \(share * 100) %")
        // A lost probe lost exactly one packet: its request, or its reply.
        #expect(counters.droppedByLoss == UInt64(log.lostCount), "\(counters), \(log.lostCount) probes lost")
    }
}
