import Foundation
@testable import LabScenario
import Testing

/// The lab's report as a person and a program read it: the JSON round-trips, the summary
/// has a row per migration and the two modes side by side, the chart draws every probe.
@Suite("The lab's report")
struct LabReportTests {
    static func record(_ mode: String, overhead: Double) -> MigrationRecord {
        var timeline = MigrationRecord.Timeline(migrationStarted: 100)
        timeline.sourceStopped = 100.2
        timeline.resumed = 100.3
        timeline.firstAnnounce = 100.3001
        timeline.homeAgentSwitched = 100.306
        timeline.firstProbeAnswered = 100.307
        return MigrationRecord(vm: "vm1", from: "home", to: "site-a", mode: mode, wanRoundTripMilliseconds: 6,
                               qemuDowntimeMilliseconds: 100, qemuTotalMilliseconds: 300, timeline: timeline,
                               probes: .init(sent: 1000, lost: 107, lostOutsideDowntime: 7),
                               trafficGapMilliseconds: 100 + overhead, mobilityOverheadMilliseconds: overhead)
    }

    static let report = LabReport(
        parameters: .init(sites: 1, oneWayDelayMilliseconds: 3, lossPercent: 0, vms: 1, route: ["home", "site-a"],
                          modes: ["announce", "make-before-break"], probeIntervalMilliseconds: 1),
        started: 100, finished: 110, migrations: [record("announce", overhead: 9), record("make-before-break", overhead: -80)])

    @Test("the JSON decodes to the same report")
    func jsonRoundTrip() throws {
        let decoded = try JSONDecoder().decode(LabReport.self, from: try Self.report.json())
        #expect(decoded == Self.report)
    }

    @Test("the summary has a row per migration and the modes side by side")
    func summary() {
        let text = Self.report.summary
        #expect(text.contains("home → site-a") && text.contains("9.0 ms") && text.contains("-80.0 ms"))
        #expect(text.contains("Side by side:"))
        #expect(text.components(separatedBy: "\n").filter { $0.hasPrefix("vm1") }.count == 3, "\(text)")
    }

    @Test("the chart draws each probe of the window: answered as dots, lost as ticks")
    func chart() {
        let resume = 100.3
        let probes = (0..<40).map { index -> ProbeSample in
            let sent = resume - 0.02 + Double(index) * 0.001
            let lost = sent > 100.2 && sent < 100.306
            return ProbeSample(sent: sent, roundTripMilliseconds: lost ? nil : 6.1)
        }
        let svg = TimelineChart(report: Self.report, probes: [probes, probes]).svg
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        let answered = probes.filter { $0.roundTripMilliseconds != nil }.count
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2 * answered)
        #expect(svg.contains("QEMU downtime") && svg.contains("home agent switched"))
        #expect(svg.contains("vm1: home → site-a (announce)"))
    }

    /// A federation's report of one hop in each mode: announce A1 → B1, then
    /// make-before-break `second` (from, to, hosts), its probes `probes` when given.
    static func federationReport(second hop: (String, String, String, String), probes: MigrationRecord.Probes? = nil,
                                 routes: [String: [[String]]]? = nil) -> LabReport {
        var first = record("announce", overhead: 9)
        (first.from, first.to, first.fromHost, first.toHost) = ("site-a", "site-b", "A1", "B1")
        var second = record("make-before-break", overhead: -80)
        (second.from, second.to, second.fromHost, second.toHost) = hop
        if let probes { second.probes = probes }
        return LabReport(
            parameters: .init(sites: 2, oneWayDelayMilliseconds: 3, lossPercent: 0, vms: 1, route: ["A1", "B1"],
                              modes: ["announce", "make-before-break"], probeIntervalMilliseconds: 1, hypervisorsPerSite: 2,
                              routes: routes),
            started: 100, finished: 110, migrations: [first, second])
    }

    @Test("in the federation, each hop names its hosts as well as its sites")
    func federationHosts() throws {
        let report = Self.federationReport(second: ("site-a", "site-b", "A2", "B1"), routes: ["vm1": [["A1", "B1"], ["A2", "B1"]]])
        #expect(try JSONDecoder().decode(LabReport.self, from: try report.json()) == report)
        let text = report.summary
        #expect(text.contains("A1 (site-a) → B1 (site-b)") && text.contains("2 sites × 2 hypervisors"), "\(text)")
        #expect(text.contains("A1 (site-a) → B1 (site-b) | A2 (site-a) → B1 (site-b)"), "\(text)")
        let svg = TimelineChart(report: report, probes: [[], []]).svg
        #expect(svg.contains("vm1: A1 (site-a) → B1 (site-b) (announce)"))
    }

    @Test("the overview draws every hop: a bar per mode side by side, downtime and overhead stacked, losses labelled")
    func overview() throws {
        let report = Self.federationReport(second: ("site-b", "site-a", "B1", "A2"),
                                           probes: .init(sent: 1000, lost: 96, lostOutsideDowntime: 0))
        let chart = TimelineChart(report: report, probes: [[], []])
        let groups = chart.overviewGroups
        #expect(groups.map(\.label) == ["A1→B1 | B1→A2"])
        #expect(groups.first?.bars.map(\.record.mode) == ["announce", "make-before-break"])
        // A gap shorter than QEMU's downtime stacks no overhead on it.
        #expect(groups.first?.bars.map(\.overhead) == [9, 0])
        let svg = chart.svg
        #expect(svg.contains("Every hop: QEMU downtime and the mobility overhead stacked, a line at the traffic gap"))
        // The gap's line of the second bar sits inside its downtime: 20 ms of 100.
        #expect(svg.components(separatedBy: "stroke=\"#111\" stroke-width=\"2\"").count - 1 == 2 + 1, "two bars' lines and the legend's")
        // Two bars of two parts each, before the first zoomed panel.
        let overviewPart = try #require(svg.components(separatedBy: "vm1: A1 (site-a)").first)
        #expect(overviewPart.components(separatedBy: "<rect x=").count - 1 == 4 + 2, "bars and the legend's two swatches")
        // Losses outside QEMU's downtime in red; none outside it in black.
        #expect(overviewPart.contains("fill=\"#d0202a\">lost 107</text>") && overviewPart.contains("fill=\"#333\">lost 96</text>"))
        #expect(overviewPart.contains(">ann</text>") && overviewPart.contains(">mbb</text>"))
    }
}
