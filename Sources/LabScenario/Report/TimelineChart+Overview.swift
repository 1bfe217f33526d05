import Foundation

extension TimelineChart {
    /// One bar of the overview: a migration's QEMU downtime with the mobility overhead
    /// stacked on it (together, the traffic gap), a line at the traffic gap — inside the
    /// downtime when the probes went on through it (make-before-break) —, its lost probes
    /// above.
    struct OverviewBar {
        let record: MigrationRecord
        var downtime: Double { record.qemuDowntimeMilliseconds }
        /// What the network added; a gap shorter than QEMU's downtime adds nothing.
        var overhead: Double { max(0, record.mobilityOverheadMilliseconds ?? 0) }
        var total: Double { downtime + overhead }
        var gap: Double? { record.trafficGapMilliseconds }
    }

    /// The hops as the overview groups them: with two modes of as many hops, each hop's
    /// migration in one mode beside the other (the federation's second pass walks other
    /// hosts: the group names both); else one migration a group.
    var overviewGroups: [(label: String, bars: [OverviewBar])] {
        let modes = report.parameters.modes
        let migrations = report.migrations
        func short(_ r: MigrationRecord) -> String { "\(r.fromHost ?? r.from)→\(r.toHost ?? r.to)" }
        if modes.count == 2 {
            let first = migrations.filter { $0.mode == modes[0] }
            let second = migrations.filter { $0.mode == modes[1] }
            if first.count == second.count, !first.isEmpty {
                return zip(first, second).map { a, b in
                    let hop = short(a) == short(b) ? short(a) : "\(short(a)) | \(short(b))"
                    return (report.parameters.vms > 1 ? "\(a.vm) \(hop)" : hop, [OverviewBar(record: a), OverviewBar(record: b)])
                }
            }
        }
        return migrations.map { ((report.parameters.vms > 1 ? "\($0.vm) " : "") + short($0), [OverviewBar(record: $0)]) }
    }

    static let overviewHeight = 260.0

    /// The overview chart at `y`: per hop, a bar per mode, QEMU's downtime and the
    /// mobility overhead stacked, each bar's lost probes labelled above it.
    func overview(y: Double) -> String {
        let groups = overviewGroups
        guard !groups.isEmpty else { return "" }
        let plotWidth = width - left - right
        let base = y + Self.overviewHeight - 50
        let plotTop = y + 40
        let highest = max(1, groups.flatMap { $0.bars.map(\.total) }.max() ?? 1)
        let scale = (base - plotTop - 16) / (highest * 1.05)
        let groupWidth = plotWidth / Double(groups.count)
        let barWidth = min(36, groupWidth * 0.8 / Double(max(1, groups.map(\.bars.count).max() ?? 1)))
        let modes = report.parameters.modes

        var out = "<g>\n"
        out += "<text x=\"\(left)\" y=\"\(y + 12)\" font-weight=\"bold\">Every hop: QEMU downtime and the mobility overhead "
            + "stacked, a line at the traffic gap\(modes.count > 1 ? ", " + Self.escape(modes.joined(separator: " | ")) + " side by side" : ""); "
            + "probes lost above each bar</text>\n"
        out += "<line x1=\"\(left)\" y1=\"\(base)\" x2=\"\(width - right)\" y2=\"\(base)\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(left)\" y1=\"\(plotTop)\" x2=\"\(left)\" y2=\"\(base)\" stroke=\"#333\"/>\n"
        for tick in overviewTicks(highest) {
            let ty = base - tick * scale
            out += "<line x1=\"\(left - 4)\" y1=\"\(Self.n(ty))\" x2=\"\(width - right)\" y2=\"\(Self.n(ty))\" stroke=\"#e4e4e4\"/>\n"
            out += "<text x=\"\(left - 6)\" y=\"\(Self.n(ty + 4))\" text-anchor=\"end\">\(String(format: "%g", tick)) ms</text>\n"
        }
        for (index, group) in groups.enumerated() {
            let centre = left + (Double(index) + 0.5) * groupWidth
            let start = centre - Double(group.bars.count) * barWidth / 2
            for (position, bar) in group.bars.enumerated() {
                let x = start + Double(position) * barWidth + 2
                let w = barWidth - 4
                let downtimeTop = base - bar.downtime * scale
                let overheadTop = downtimeTop - bar.overhead * scale
                out += "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(downtimeTop))\" width=\"\(Self.n(w))\" "
                    + "height=\"\(Self.n(base - downtimeTop))\" fill=\"#f4a259\"><title>\(Self.escape(tooltip(bar)))</title></rect>\n"
                out += "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(overheadTop))\" width=\"\(Self.n(w))\" "
                    + "height=\"\(Self.n(downtimeTop - overheadTop))\" fill=\"#1f5fa8\"><title>\(Self.escape(tooltip(bar)))</title></rect>\n"
                if let gap = bar.gap {
                    let gy = base - min(gap, bar.total) * scale
                    out += "<line x1=\"\(Self.n(x - 2))\" y1=\"\(Self.n(gy))\" x2=\"\(Self.n(x + w + 2))\" y2=\"\(Self.n(gy))\" "
                        + "stroke=\"#111\" stroke-width=\"2\"/>\n"
                }
                let lost = bar.record.probes.lost
                let colour = bar.record.probes.lostOutsideDowntime > 0 ? "#d0202a" : "#333"
                out += "<text x=\"\(Self.n(x + w / 2))\" y=\"\(Self.n(overheadTop - 4))\" text-anchor=\"middle\" "
                    + "font-size=\"10\" fill=\"\(colour)\">lost \(lost)</text>\n"
                if group.bars.count > 1 {
                    out += "<text x=\"\(Self.n(x + w / 2))\" y=\"\(Self.n(base + 12))\" text-anchor=\"middle\" font-size=\"9\" "
                        + "fill=\"#555\">\(Self.escape(Self.modeMark(bar.record.mode)))</text>\n"
                }
            }
            out += "<text x=\"\(Self.n(centre))\" y=\"\(Self.n(base + (group.bars.count > 1 ? 26 : 14)))\" text-anchor=\"middle\" "
                + "font-size=\"10\">\(Self.escape(group.label))</text>\n"
        }
        // Legend.
        let lx = width - right + 12
        out += "<rect x=\"\(Self.n(lx))\" y=\"\(Self.n(plotTop))\" width=\"12\" height=\"12\" fill=\"#1f5fa8\"/>"
            + "<text x=\"\(Self.n(lx + 16))\" y=\"\(Self.n(plotTop + 10))\">mobility overhead</text>\n"
        out += "<rect x=\"\(Self.n(lx))\" y=\"\(Self.n(plotTop + 18))\" width=\"12\" height=\"12\" fill=\"#f4a259\"/>"
            + "<text x=\"\(Self.n(lx + 16))\" y=\"\(Self.n(plotTop + 28))\">QEMU downtime</text>\n"
        out += "<line x1=\"\(Self.n(lx - 1))\" y1=\"\(Self.n(plotTop + 42))\" x2=\"\(Self.n(lx + 13))\" y2=\"\(Self.n(plotTop + 42))\" "
            + "stroke=\"#111\" stroke-width=\"2\"/><text x=\"\(Self.n(lx + 16))\" y=\"\(Self.n(plotTop + 46))\">traffic gap</text>\n"
        out += "<text x=\"\(Self.n(lx))\" y=\"\(Self.n(plotTop + 66))\" fill=\"#d0202a\">lost N: red when a</text>\n"
        out += "<text x=\"\(Self.n(lx))\" y=\"\(Self.n(plotTop + 79))\" fill=\"#d0202a\">probe was lost outside</text>\n"
        out += "<text x=\"\(Self.n(lx))\" y=\"\(Self.n(plotTop + 92))\" fill=\"#d0202a\">QEMU's downtime</text>\n"
        if modes.count > 1 {
            for (index, mode) in modes.enumerated() {
                out += "<text x=\"\(Self.n(lx))\" y=\"\(Self.n(plotTop + 114 + Double(index) * 13))\" fill=\"#555\">"
                    + "\(Self.escape(Self.modeMark(mode))): \(Self.escape(mode))</text>\n"
            }
        }
        out += "</g>\n"
        return out
    }

    /// A mode's mark under its bar: `ann`, `mbb`.
    static func modeMark(_ mode: String) -> String {
        switch mode {
        case "announce": "ann"
        case ScenarioOptions.makeBeforeBreak: "mbb"
        default: String(mode.prefix(4))
        }
    }

    private func tooltip(_ bar: OverviewBar) -> String {
        let r = bar.record
        return "\(r.vm) \(r.hop) (\(r.mode)): QEMU downtime \(LabReport.milliseconds(r.qemuDowntimeMilliseconds)), "
            + "traffic gap \(r.trafficGapMilliseconds.map(LabReport.milliseconds) ?? "-"), lost \(r.probes.lost) "
            + "(\(r.probes.lostOutsideDowntime) outside the downtime)"
    }

    /// Round values for the overview's axis, up to `highest` milliseconds.
    func overviewTicks(_ highest: Double) -> [Double] {
        let steps = [1.0, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000]
        let step = steps.first { highest / $0 <= 6 } ?? 10_000
        return stride(from: step, through: highest * 1.05, by: step).map { $0 }
    }
}
