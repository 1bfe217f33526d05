import Foundation
import LabNetwork
import LabSupport
import Testing

/// The delay line for real: a ``LabTopology`` whose WAN core runs `glm-wan delay-line`,
/// and `glm-wan probe` measuring round trips through it at 1,000 probes a second.
/// Needs root.
@Suite("WAN delay line in network namespaces", .serialized)
struct DelayLineNamespaceTests {
    /// The one timed assertion the lab's issue asks for: the median round trip within
    /// 0.5 ms of the configured one, for three different delays in one lab.
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
        for path in paths {
            // A run on a virtual machine can lose its processor to the host for
            // milliseconds at a time (steal time), and no priority in the guest helps:
            // a path whose median misses is measured again, up to three times, every
            // attempt printed with the steal time it saw. A delay line that holds the
            // wrong delay misses every time.
            var medians: [Double] = []
            for attempt in 1...3 {
                let stolenBefore = StealTime.milliseconds()
                let log = try await tools.probe(path.to.wanAddress, from: path.from, in: lab, seconds: 2)
                let stolen = StealTime.milliseconds().map { now in stolenBefore.map { now - $0 } } ?? nil
                print("delay line \(path.name), attempt \(attempt): expected RTT \(path.roundTrip) ms, \(log.figures)"
                      + (stolen.map { ", host stole \($0) ms of processor time" } ?? ""))
                let median = Double(try #require(log.roundTrip(percentile: 0.5), "\(path.name): no answer")) / 1e6
                medians.append(median)
                #expect(log.lostCount == 0, "\(path.name): \(log.lostCount) lost")
                // The WAN core is one hop, delay line or not.
                #expect(Set(log.probes.compactMap(\.ttl)) == [63], "\(path.name): TTLs \(Set(log.probes.compactMap(\.ttl)))")
                if abs(median - path.roundTrip) <= 0.5 { break }
            }
            #expect(medians.contains { abs($0 - path.roundTrip) <= 0.5 },
                    "\(path.name): medians \(medians) ms in \(medians.count) attempts, expected \(path.roundTrip) ms")
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
