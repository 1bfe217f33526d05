import Foundation
import GLMWire
import LabNetwork

/// Turns what the lab recorded — QEMU's account of each migration, the captures of the
/// home agents' hosts and of each hypervisor host, the correspondents' probe logs — into
/// the report's records.
public struct MigrationAnalysis: Sendable {
    /// What anchors a VM: its home site, its home agent (the capture that shows the
    /// switch and the revocations, and its WAN address), and how far each host is from
    /// the correspondent that probes the VM.
    public struct Anchor: Sendable {
        /// The VM's home site, as ``MigrationHost/siteName`` names it: at a host of this
        /// site the VM is home, and no site agent registers it.
        public var siteName: String
        /// The name the home agent's host's capture is kept under (a key of ``traces``).
        public var homeAgent: String
        public var homeAgentAddress: String
        /// One-way delay from the VM's correspondent to each host, by host name, in
        /// seconds (0 on the home LAN; a host not listed counts 0).
        public var oneWayDelays: [String: Double]

        public init(siteName: String, homeAgent: String, homeAgentAddress: String, oneWayDelays: [String: Double]) {
            self.siteName = siteName
            self.homeAgent = homeAgent
            self.homeAgentAddress = homeAgentAddress
            self.oneWayDelays = oneWayDelays
        }
    }

    /// Each host's capture, by host name: announces on its bridges and its signaling.
    public var traces: [String: SignalingTrace]
    /// Each VM's probe log, by VM name.
    public var probes: [String: ProbeLog]
    /// Each VM's anchor, by VM name.
    public var anchors: [String: Anchor]

    public init(traces: [String: SignalingTrace], probes: [String: ProbeLog], anchors: [String: Anchor]) {
        self.traces = traces
        self.probes = probes
        self.anchors = anchors
    }

    /// The records, in the order the migrations ran; each migration's probes run from its
    /// start to the next migration of the same VM (or the end of the log).
    public func records<Host: MigrationHost>(_ migrations: [MigrationObservation<Host>]) -> [(MigrationRecord, [ProbeSample])] {
        migrations.enumerated().map { index, migration in
            let next = migrations[(index + 1)...].first { $0.vm.name == migration.vm.name }?.started ?? .infinity
            return record(migration, until: next)
        }
    }

    func record<Host: MigrationHost>(_ m: MigrationObservation<Host>, until end: Double) -> (MigrationRecord, [ProbeSample]) {
        let mac = MACAddress(m.vm.mac)
        let anchor = anchors[m.vm.name]
        func oneWayDelay(_ host: Host) -> Double { anchor?.oneWayDelays[host.hostName] ?? 0 }
        func isAway(_ host: Host) -> Bool { host.siteName != anchor?.siteName }
        var timeline = MigrationRecord.Timeline(migrationStarted: m.started)
        timeline.sourceStopped = m.sourceStopped
        timeline.resumed = m.resumed
        let destination = traces[m.to.hostName]
        timeline.firstAnnounce = destination?.first(after: m.started, until: end) { $0.kind == .announce && $0.vm == mac }?.time
        let home = anchor.flatMap { traces[$0.homeAgent] }
        let homeAddress = anchor.flatMap { IPv4Address($0.homeAgentAddress) }
        if isAway(m.to) {
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
        if isAway(m.from) {
            let oldAddress = IPv4Address(m.from.wanAddress)
            // Another VM's revocation (one that names its VM) is not this one's.
            let revocation = home?.first(after: m.started, until: end) {
                $0.kind == .revocation && $0.destination == oldAddress && ($0.vm == nil || $0.vm == mac)
            }
            if !isAway(m.to) { timeline.homeAgentSwitched = revocation?.time }
            timeline.oldSiteRevoked = home?.first(after: revocation?.time ?? m.started, until: end) {
                $0.kind == .revocationAcknowledgement && $0.source == oldAddress
                    && (revocation?.sequence == nil || $0.sequence == revocation?.sequence)
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
            vm: m.vm.name, from: m.from.siteName, to: m.to.siteName,
            fromHost: m.from.hostName == m.from.siteName ? nil : m.from.hostName,
            toHost: m.to.hostName == m.to.siteName ? nil : m.to.hostName, mode: m.mode,
            wanRoundTripMilliseconds: 2000 * oneWayDelay(m.to), qemuDowntimeMilliseconds: m.downtimeMilliseconds,
            qemuTotalMilliseconds: m.totalMilliseconds, timeline: timeline,
            probes: .init(sent: samples.count, lost: lost.count, lostOutsideDowntime: lostOutside),
            trafficGapMilliseconds: gap, mobilityOverheadMilliseconds: gap.map { $0 - m.downtimeMilliseconds })
        return (record, samples)
    }
}
