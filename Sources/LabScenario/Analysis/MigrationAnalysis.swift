import Foundation
import GLMWire
import LabNetwork

/// Turns what the lab recorded — QEMU's account of each migration, the captures of the
/// home agent's host and of each site, the correspondent's probe logs — into the
/// report's records.
public struct MigrationAnalysis: Sendable {
    /// Each host's capture: announces on its bridges and its signaling.
    public var traces: [LabTopology.Host: SignalingTrace]
    /// Each VM's probe log, by VM name.
    public var probes: [String: ProbeLog]
    /// One-way delay between the home agent and each host, in seconds (0 at home).
    public var oneWayDelays: [LabTopology.Host: Double]

    public init(traces: [LabTopology.Host: SignalingTrace], probes: [String: ProbeLog],
                oneWayDelays: [LabTopology.Host: Double]) {
        self.traces = traces
        self.probes = probes
        self.oneWayDelays = oneWayDelays
    }

    func oneWayDelay(_ host: LabTopology.Host) -> Double { oneWayDelays[host] ?? 0 }

    /// The records, in the order the migrations ran; each migration's probes run from its
    /// start to the next migration of the same VM (or the end of the log).
    public func records(_ migrations: [MigrationObservation]) -> [(MigrationRecord, [ProbeSample])] {
        migrations.enumerated().map { index, migration in
            let next = migrations[(index + 1)...].first { $0.vm.name == migration.vm.name }?.started ?? .infinity
            return record(migration, until: next)
        }
    }

    func record(_ m: MigrationObservation, until end: Double) -> (MigrationRecord, [ProbeSample]) {
        let mac = MACAddress(m.vm.mac)
        var timeline = MigrationRecord.Timeline(migrationStarted: m.started)
        timeline.sourceStopped = m.sourceStopped
        timeline.resumed = m.resumed
        let destination = traces[m.to]
        timeline.firstAnnounce = destination?.first(after: m.started, until: end) { $0.kind == .announce && $0.vm == mac }?.time
        let home = traces[.home]
        let homeAddress = IPv4Address(LabTopology.Host.home.wanAddress)
        if case .site = m.to {
            let siteAddress = IPv4Address(m.to.wanAddress)
            let update = destination?.first(after: m.started, until: end) { event in
                if case .update(let lifetime) = event.kind { lifetime > 0 && event.vm == mac && event.source == siteAddress } else { false }
            }
            timeline.updateSent = update?.time
            if let update {
                timeline.acknowledgementReceived = destination?.first(after: update.time, until: end) { event in
                    event.kind == .acknowledgement(.accepted) && event.destination == siteAddress && event.sequence == update.sequence
                }?.time
                timeline.homeAgentSwitched = home?.first(after: update.time, until: end) { event in
                    event.kind == .acknowledgement(.accepted) && event.source == homeAddress && event.destination == siteAddress
                        && event.sequence == update.sequence
                }?.time
            }
        }
        if case .site = m.from {
            let oldAddress = IPv4Address(m.from.wanAddress)
            let revocation = home?.first(after: m.started, until: end) { $0.kind == .revocation && $0.destination == oldAddress }
            if m.to == .home { timeline.homeAgentSwitched = revocation?.time }
            timeline.oldSiteRevoked = home?.first(after: revocation?.time ?? m.started, until: end) {
                $0.kind == .revocationAcknowledgement && $0.source == oldAddress
            }?.time
        }

        // The probes of this migration, from its start to the next one's.
        let log = probes[m.vm.name]
        let window = (log?.probes ?? []).filter { Double($0.sent) / 1e9 >= m.started && Double($0.sent) / 1e9 < end }
        let samples = window.map { ProbeSample(sent: Double($0.sent) / 1e9, roundTripMilliseconds: $0.roundTrip.map { Double($0) / 1e6 }) }
        let resumed = m.resumed ?? m.started
        timeline.firstProbeAnswered = samples.first { $0.sent >= resumed && $0.roundTripMilliseconds != nil }?.sent
        let answered = samples.filter { $0.roundTripMilliseconds != nil }
        let gap = zip(answered, answered.dropFirst()).map { ($1.sent - $0.sent) * 1000 }.max()
        let stopped = (m.sourceStopped ?? resumed) - oneWayDelay(m.from)
        let lost = samples.filter { $0.roundTripMilliseconds == nil }
        let lostOutside = lost.filter { $0.sent < stopped || $0.sent > resumed }.count
        let record = MigrationRecord(
            vm: m.vm.name, from: m.from.reportName, to: m.to.reportName, mode: m.mode,
            wanRoundTripMilliseconds: 2000 * oneWayDelay(m.to), qemuDowntimeMilliseconds: m.downtimeMilliseconds,
            qemuTotalMilliseconds: m.totalMilliseconds, timeline: timeline,
            probes: .init(sent: samples.count, lost: lost.count, lostOutsideDowntime: lostOutside),
            trafficGapMilliseconds: gap, mobilityOverheadMilliseconds: gap.map { $0 - m.downtimeMilliseconds })
        return (record, samples)
    }
}
