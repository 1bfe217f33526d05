extension TimelineChart {
    /// One failover's panel, time running from a little before the kill to a little after
    /// the traffic resumed: the probes as in a migration's panel (answered ones as dots at
    /// the height of their round trip, lost ones as red ticks), the traffic gap shaded, and
    /// the kill, the takeover and the answers around the gap as labelled vertical lines.
    func panel(_ failover: FailoverRecord, probes: [ProbeSample], y: Double) -> String {
        let origin = failover.killedAt
        let last = max(failover.servingAt, failover.firstProbeAnsweredAfter ?? failover.servingAt) - origin
        let margin = max(0.05, last * 0.25)
        let (start, end) = (min(0, (failover.lastProbeAnsweredBefore ?? origin) - origin) - margin, last + margin)
        let plotWidth = width - left - right
        func x(_ time: Double) -> Double { left + (time - origin - start) / (end - start) * plotWidth }
        let shown = probes.filter { $0.sent - origin >= start && $0.sent - origin <= end }
        let maxRTT = max(1, (shown.compactMap(\.roundTripMilliseconds).max() ?? 1) * 1.15)
        let base = y + panelHeight - 20
        func yRTT(_ rtt: Double) -> Double { base - rtt / maxRTT * (panelHeight - 50) }

        var out = "<g>\n"
        let heading = "Failover: \(failover.killedMember) killed, \(failover.servingMember) serving after "
            + LabReport.milliseconds(failover.takeoverMilliseconds)
            + (failover.trafficGapMilliseconds.map { " — traffic gap " + LabReport.milliseconds($0) } ?? "")
            + ", lost \(failover.probesLost) of \(failover.probesSent), \(failover.duplicates) duplicates, "
            + "bindings \(failover.bindingsBefore) → \(failover.bindingsAfter)"
        out += "<text x=\"\(left)\" y=\"\(y + 12)\" font-weight=\"bold\">\(Self.escape(heading))</text>\n"
        // The traffic gap, shaded.
        if let before = failover.lastProbeAnsweredBefore, let after = failover.firstProbeAnsweredAfter {
            out += "<rect x=\"\(Self.n(x(before)))\" y=\"\(y + 24)\" width=\"\(Self.n(max(1, x(after) - x(before))))\" "
                + "height=\"\(Self.n(base - y - 24))\" fill=\"#fbe0e0\"/>\n"
            out += "<text x=\"\(Self.n((x(before) + x(after)) / 2))\" y=\"\(y + 40)\" text-anchor=\"middle\" fill=\"#a01820\">"
                + "traffic gap</text>\n"
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
        // The kill, the takeover and the answers around the gap.
        // The kill and the takeover are also named at their lines' tops, the kill's to its left.
        let events: [(String, Double?, String, anchor: String?)] = [
            ("last answer", failover.lastProbeAnsweredBefore, "#555", nil),
            ("\(failover.killedMember) killed", failover.killedAt, "#d0202a", "end"),
            ("\(failover.servingMember) serving", failover.servingAt, "#7a1fa8", "start"),
            ("first answer", failover.firstProbeAnsweredAfter, "#1a8a3a", nil),
        ]
        var labelRow = 0
        for (name, time, colour, anchor) in events {
            guard let time, time - origin >= start, time - origin <= end else { continue }
            let px = x(time)
            out += "<line x1=\"\(Self.n(px))\" y1=\"\(y + 24)\" x2=\"\(Self.n(px))\" y2=\"\(base)\" stroke=\"\(colour)\" "
                + "stroke-dasharray=\"3,2\"/>\n"
            if let anchor {
                out += "<text x=\"\(Self.n(anchor == "end" ? px - 3 : px + 3))\" y=\"\(y + 34)\" text-anchor=\"\(anchor)\" "
                    + "fill=\"\(colour)\">\(Self.escape(name))</text>\n"
            }
            out += "<text x=\"\(Self.n(width - right + 8))\" y=\"\(y + 40 + Double(labelRow) * 14)\" fill=\"\(colour)\">"
                + "\(Self.escape(name)) \(Self.milliseconds(time - origin))</text>\n"
            labelRow += 1
        }
        // Probes.
        for probe in shown {
            let px = x(probe.sent)
            if let rtt = probe.roundTripMilliseconds {
                out += "<circle cx=\"\(Self.n(px))\" cy=\"\(Self.n(yRTT(rtt)))\" r=\"1.6\" fill=\"#1a8a3a\"/>\n"
            } else {
                out += "<line x1=\"\(Self.n(px))\" y1=\"\(base - 7)\" x2=\"\(Self.n(px))\" y2=\"\(base)\" stroke=\"#d0202a\"/>\n"
            }
        }
        out += "<text x=\"\(Self.n(left + plotWidth / 2))\" y=\"\(base + 29)\" text-anchor=\"middle\" fill=\"#555\">"
            + "time from the kill</text>\n"
        out += "</g>\n"
        return out
    }
}
