import Foundation
import LabNetwork

/// The line `make demo` prints as each hop completes, from what the correspondent's
/// prober has recorded so far: `[3/8] A1 (site-a) → B1 (site-b) announce: gap 13 ms,
/// overhead 10 ms, lost 5`. The signaling's timeline comes with the report, once the
/// captures are read.
struct HopProgress {
    /// How many hops the run makes.
    let total: Int
    let anchors: [String: MigrationAnalysis.Anchor]
    private(set) var done = 0

    init(total: Int, anchors: [String: MigrationAnalysis.Anchor]) {
        self.total = total
        self.anchors = anchors
    }

    /// Probes sent this recently may still be on their way back — with make-before-break,
    /// those sent during QEMU's downtime wait in the arriving VM's tap and are answered
    /// after it resumes, a third of a second later under TCG: they are left out.
    static let inFlight = 1.0
    /// How much of the time after the resume the line must see, past ``inFlight``: the
    /// first probes answered there end the traffic gap.
    static let afterResume = 0.25

    /// The line for `observation`, the hop just completed, its probes from `prober`.
    mutating func line<Host: MigrationHost>(_ observation: MigrationObservation<Host>, prober: ProbeRun?) async -> String {
        done += 1
        let prefix = "[\(done)/\(total)]"
        // A short settle (the tests') would cut the hop off inside its gap: wait until the
        // probes after the resume are in.
        let complete = (observation.resumed ?? observation.started) + Self.inFlight + Self.afterResume
        let wait = complete - Date().timeIntervalSince1970
        if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        guard let prober, let log = try? await prober.snapshot() else {
            return "\(prefix) \(observation.from.hostName) → \(observation.to.hostName) \(observation.mode): "
                + "QEMU downtime \(LabReport.milliseconds(observation.downtimeMilliseconds)); no probes to show"
        }
        let analysis = MigrationAnalysis(traces: [:], probes: [observation.vm.name: log], anchors: anchors)
        let (record, _) = analysis.record(observation, until: Date().timeIntervalSince1970 - Self.inFlight)
        return "\(prefix) \(record.hop) \(record.mode): "
            + "gap \(record.trafficGapMilliseconds.map(LabReport.milliseconds) ?? "-"), "
            + "QEMU downtime \(LabReport.milliseconds(record.qemuDowntimeMilliseconds)), "
            + "overhead \(record.mobilityOverheadMilliseconds.map(LabReport.milliseconds) ?? "-"), "
            + "lost \(record.probes.lost) (\(record.probes.lostOutsideDowntime) outside the downtime)"
    }
}
