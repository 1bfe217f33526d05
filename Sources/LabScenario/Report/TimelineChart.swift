import Foundation

/// The report's picture: an overview of every hop (``overview(y:)``), then one panel per
/// migration zoomed on the moment the VM resumed at its destination, time running left
/// to right. Each probe is a mark at its send time —
/// answered ones as dots at the height of their round trip, lost ones as red ticks on
/// the axis — over QEMU's downtime (shaded) and the handoff's signaling events
/// (vertical lines, labelled). A report's failovers follow, one panel each around the
/// kill.
public struct TimelineChart: Sendable {
    public let report: LabReport
    /// Each migration's probes, by the record's index.
    public let probes: [[ProbeSample]]
    /// Each failover's probes, by the index of its record in ``LabReport/failovers``.
    public let failoverProbes: [[ProbeSample]]

    public init(report: LabReport, probes: [[ProbeSample]], failoverProbes: [[ProbeSample]] = []) {
        self.report = report
        self.probes = probes
        self.failoverProbes = failoverProbes
    }

    let width = 1120.0
    let panelHeight = 200.0
    let left = 70.0
    let right = 220.0
    let top = 40.0

    /// The SVG document.
    public var svg: String {
        let failovers = report.failovers ?? []
        let overviewSpace = report.migrations.isEmpty ? 0 : Self.overviewHeight + 20
        let height = top + overviewSpace + Double(report.migrations.count + failovers.count) * (panelHeight + 40) + 20
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="22" font-size="15" font-weight="bold">\(Self.escape(title))</text>

        """
        out += overview(y: top)
        for (index, record) in report.migrations.enumerated() {
            let y = top + overviewSpace + Double(index) * (panelHeight + 40)
            out += panel(record, probes: index < probes.count ? probes[index] : [], y: y)
        }
        for (index, failover) in failovers.enumerated() {
            let y = top + overviewSpace + Double(report.migrations.count + index) * (panelHeight + 40)
            out += panel(failover, probes: index < failoverProbes.count ? failoverProbes[index] : [], y: y)
        }
        out += "</svg>\n"
        return out
    }

    private var title: String {
        let p = report.parameters
        let lab = report.failovers == nil ? p.hypervisorsPerSite.map { ", federation of \(p.sites) sites × \($0) hypervisors" } ?? ""
            : ", site A's home agents as a cluster"
        return "GLM lab" + lab
            + " — probes every \(LabReport.format(p.probeIntervalMilliseconds)) ms, one-way WAN delay "
            + "\(LabReport.format(p.oneWayDelayMilliseconds)) ms" + (p.hypervisorsPerSite == nil ? "" : " per site link")
    }

    /// The time span a panel shows, relative to the resume: from a little before QEMU
    /// stopped the VM to a little after the first probe answered at the destination.
    private func span(_ record: MigrationRecord) -> (start: Double, end: Double, origin: Double) {
        let t = record.timeline
        let origin = t.resumed ?? t.migrationStarted
        let stop = (t.sourceStopped ?? origin) - origin
        let answered = (t.firstProbeAnswered ?? origin) - origin
        let events = [t.homeAgentSwitched, t.acknowledgementReceived, t.oldSiteRevoked].compactMap { $0.map { $0 - origin } }
        let margin = max(0.010, (answered - stop) * 0.4)
        let end = max(answered, events.filter { $0 < 0.5 }.max() ?? 0) + margin
        return (stop - margin, end, origin)
    }

    private func panel(_ record: MigrationRecord, probes: [ProbeSample], y: Double) -> String {
        let (start, end, origin) = span(record)
        let plotWidth = width - left - right
        func x(_ time: Double) -> Double { left + (time - origin - start) / (end - start) * plotWidth }
        let maxRTT = max(1, (probes.compactMap(\.roundTripMilliseconds).filter { _ in true }.max() ?? 1) * 1.15)
        let base = y + panelHeight - 20
        func yRTT(_ rtt: Double) -> Double { base - rtt / maxRTT * (panelHeight - 50) }

        var out = "<g>\n"
        let heading = "\(record.vm): \(record.hop) (\(record.mode)) — QEMU downtime "
            + LabReport.milliseconds(record.qemuDowntimeMilliseconds)
            + (record.trafficGapMilliseconds.map { ", traffic gap " + LabReport.milliseconds($0) } ?? "")
            + (record.mobilityOverheadMilliseconds.map { ", mobility overhead " + LabReport.milliseconds($0) } ?? "")
            + ", lost \(record.probes.lost) (\(record.probes.lostOutsideDowntime) outside downtime)"
        out += "<text x=\"\(left)\" y=\"\(y + 12)\" font-weight=\"bold\">\(Self.escape(heading))</text>\n"
        // QEMU's downtime, shaded.
        if let stopped = record.timeline.sourceStopped, let resumed = record.timeline.resumed {
            out += "<rect x=\"\(Self.n(x(stopped)))\" y=\"\(y + 24)\" width=\"\(Self.n(max(1, x(resumed) - x(stopped))))\" "
                + "height=\"\(Self.n(base - y - 24))\" fill=\"#fde2c4\"/>\n"
            out += "<text x=\"\(Self.n(x(stopped) + 3))\" y=\"\(y + 36)\" fill=\"#b35c00\">QEMU downtime</text>\n"
        }
        // Axes.
        out += "<line x1=\"\(left)\" y1=\"\(base)\" x2=\"\(width - right)\" y2=\"\(base)\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(left)\" y1=\"\(y + 24)\" x2=\"\(left)\" y2=\"\(base)\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(left - 6)\" y=\"\(Self.n(yRTT(maxRTT / 1.15)))\" text-anchor=\"end\">\(LabReport.format(maxRTT / 1.15)) ms</text>\n"
        out += "<text x=\"\(left - 6)\" y=\"\(base)\" text-anchor=\"end\">RTT 0</text>\n"
        for tick in ticks(start, end) {
            let px = x(origin + tick)
            out += "<line x1=\"\(Self.n(px))\" y1=\"\(base)\" x2=\"\(Self.n(px))\" y2=\"\(base + 4)\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(Self.n(px))\" y=\"\(base + 15)\" text-anchor=\"middle\">\(Self.milliseconds(tick))</text>\n"
        }
        // Signaling events.
        let t = record.timeline
        let events: [(String, Double?, String)] = [
            ("resumed", t.resumed, "#b35c00"), ("announce", t.firstAnnounce, "#555"), ("PBU sent", t.updateSent, "#1f5fa8"),
            ("home agent switched", t.homeAgentSwitched, "#7a1fa8"), ("PBA received", t.acknowledgementReceived, "#1f5fa8"),
            ("first answer", t.firstProbeAnswered, "#1a8a3a"), ("old site revoked", t.oldSiteRevoked, "#999"),
        ]
        var labelRow = 0
        for (name, time, colour) in events {
            guard let time, time - origin >= start, time - origin <= end else { continue }
            let px = x(time)
            out += "<line x1=\"\(Self.n(px))\" y1=\"\(y + 24)\" x2=\"\(Self.n(px))\" y2=\"\(base)\" stroke=\"\(colour)\" "
                + "stroke-dasharray=\"3,2\"/>\n"
            out += "<text x=\"\(Self.n(width - right + 8))\" y=\"\(y + 40 + Double(labelRow) * 14)\" fill=\"\(colour)\">"
                + "\(Self.escape(name)) \(Self.milliseconds(time - origin))</text>\n"
            labelRow += 1
        }
        // Probes.
        for probe in probes where probe.sent - origin >= start && probe.sent - origin <= end {
            let px = x(probe.sent)
            if let rtt = probe.roundTripMilliseconds {
                out += "<circle cx=\"\(Self.n(px))\" cy=\"\(Self.n(yRTT(rtt)))\" r=\"1.6\" fill=\"#1a8a3a\"/>\n"
            } else {
                out += "<line x1=\"\(Self.n(px))\" y1=\"\(base - 7)\" x2=\"\(Self.n(px))\" y2=\"\(base)\" stroke=\"#d0202a\"/>\n"
            }
        }
        out += "<text x=\"\(Self.n(left + plotWidth / 2))\" y=\"\(base + 29)\" text-anchor=\"middle\" fill=\"#555\">"
            + "time from the resume at the destination</text>\n"
        out += "</g>\n"
        return out
    }

    /// Round tick positions (seconds, relative to the resume) across the span.
    func ticks(_ start: Double, _ end: Double) -> [Double] {
        let span = end - start
        let steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]
        let step = steps.first { span / $0 <= 10 } ?? 10
        var tick = (start / step).rounded(.up) * step
        var result: [Double] = []
        while tick <= end {
            result.append(tick)
            tick += step
        }
        return result
    }

    static func milliseconds(_ seconds: Double) -> String {
        let value = seconds * 1000
        return (value > 0 ? "+" : "") + LabReport.format(value) + " ms"
    }

    static func n(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
