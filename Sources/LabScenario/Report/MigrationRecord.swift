import Foundation

/// One migration of one VM, as the report gives it: where it went, what QEMU says of its
/// own downtime, when each step of the handoff happened, and what the correspondent's
/// probes saw.
///
/// Times are wall-clock seconds since 1970 (QMP events, captures and probes share the
/// host's clock); durations are milliseconds.
public struct MigrationRecord: Codable, Hashable, Sendable {
    public var vm: String
    /// The sites left and reached: `site-a`; `home` in the single-origin lab.
    public var from: String
    public var to: String
    /// The hosts left and reached, where a site has more than one (the federation's
    /// hypervisors: `A1`); nil in the single-origin lab, whose sites are one host each.
    public var fromHost: String?
    public var toHost: String?
    /// How the destination learnt of the VM: `announce` (QEMU's RARP only) or
    /// `make-before-break` (prepared before the migration).
    public var mode: String
    /// The WAN round trip between the VM's correspondent and its new location (0 on the
    /// home LAN): through the home agent, so in the federation both sites' links.
    public var wanRoundTripMilliseconds: Double
    /// QEMU's own figures from `query-migrate`.
    public var qemuDowntimeMilliseconds: Double
    public var qemuTotalMilliseconds: Double
    public var timeline: Timeline
    public var probes: Probes
    /// The longest time without a probe answered, across the migration: from the send
    /// time of the last probe answered before it to that of the first answered after it.
    public var trafficGapMilliseconds: Double?
    /// The traffic gap minus QEMU's downtime: what the network added.
    public var mobilityOverheadMilliseconds: Double?

    /// When each step happened.
    public struct Timeline: Codable, Hashable, Sendable {
        /// The migration was started (QMP `migrate` sent).
        public var migrationStarted: Double
        /// The source stopped the VM (QMP `STOP` at the source): QEMU's downtime begins.
        public var sourceStopped: Double?
        /// The destination resumed it (QMP `RESUME` at the destination): the downtime ends.
        public var resumed: Double?
        /// The first QEMU announce from the VM seen on the destination's bridge.
        public var firstAnnounce: Double?
        /// The destination's site agent sent the PBU (on its WAN side); nil for a return home.
        public var updateSent: Double?
        /// The PBA reached the destination's site agent.
        public var acknowledgementReceived: Double?
        /// The home agent switched the VM's traffic: the PBA left it (the tunnel route had
        /// moved just before), or for a return home, its BRI to the old site left it.
        public var homeAgentSwitched: Double?
        /// The old site was revoked (its BRA reached the home agent).
        public var oldSiteRevoked: Double?
        /// The first probe answered from the new location: the first answered probe sent
        /// after the VM resumed.
        public var firstProbeAnswered: Double?

        public init(migrationStarted: Double) {
            self.migrationStarted = migrationStarted
        }
    }

    /// The correspondent's probes from this migration's start to the next one's.
    public struct Probes: Codable, Hashable, Sendable {
        public var sent: Int
        public var lost: Int
        /// Lost probes sent outside QEMU's downtime window, as the correspondent sees the
        /// window: a probe sent at t reaches the VM's old location at t + d (d the one-way
        /// delay there), so the window is [STOP − d, RESUME].
        public var lostOutsideDowntime: Int

        public init(sent: Int, lost: Int, lostOutsideDowntime: Int) {
            self.sent = sent
            self.lost = lost
            self.lostOutsideDowntime = lostOutsideDowntime
        }
    }

    /// The place left as the report writes it: `A1 (site-a)`, or the site alone.
    public var source: String { fromHost.map { "\($0) (\(from))" } ?? from }
    /// The place reached as the report writes it: `B1 (site-b)`, or the site alone.
    public var destination: String { toHost.map { "\($0) (\(to))" } ?? to }
    /// `A1 (site-a) → B1 (site-b)`.
    public var hop: String { "\(source) → \(destination)" }

    public init(vm: String, from: String, to: String, fromHost: String? = nil, toHost: String? = nil,
                mode: String, wanRoundTripMilliseconds: Double,
                qemuDowntimeMilliseconds: Double, qemuTotalMilliseconds: Double, timeline: Timeline, probes: Probes,
                trafficGapMilliseconds: Double?, mobilityOverheadMilliseconds: Double?) {
        self.vm = vm
        self.from = from
        self.to = to
        self.fromHost = fromHost
        self.toHost = toHost
        self.mode = mode
        self.wanRoundTripMilliseconds = wanRoundTripMilliseconds
        self.qemuDowntimeMilliseconds = qemuDowntimeMilliseconds
        self.qemuTotalMilliseconds = qemuTotalMilliseconds
        self.timeline = timeline
        self.probes = probes
        self.trafficGapMilliseconds = trafficGapMilliseconds
        self.mobilityOverheadMilliseconds = mobilityOverheadMilliseconds
    }
}
