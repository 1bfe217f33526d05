import Foundation

/// What `make demo` reports: the lab's parameters and one record per migration, written
/// as JSON (`REPORT=path`), summed up for a person in ``summary``, and drawn by
/// ``TimelineChart``. `make demo-cluster` reports its failovers instead, with no
/// migration.
public struct LabReport: Codable, Hashable, Sendable {
    public struct Parameters: Codable, Hashable, Sendable {
        public var sites: Int
        /// One-way delay of each site's WAN link: in the single-origin lab between the home
        /// agent and each site; in the federation between each site and the WAN core, so
        /// twice this between two sites.
        public var oneWayDelayMilliseconds: Double
        public var lossPercent: Double
        public var vms: Int
        /// The locations each VM visits, in order: `home`, `site-a`, …; in the federation,
        /// the first VM's first pass, by hypervisor (`A1`, `B1`, …).
        public var route: [String]
        public var modes: [String]
        public var probeIntervalMilliseconds: Double
        /// The federation's hypervisors per site; nil in the single-origin lab.
        public var hypervisorsPerSite: Int?
        /// In the federation, each VM's walk in each pass (one per mode), by VM name.
        public var routes: [String: [[String]]]?
        /// With a cluster of home agents: its members, and etcd's.
        public var clusterMembers: Int?
        public var etcdMembers: Int?

        public init(sites: Int, oneWayDelayMilliseconds: Double, lossPercent: Double, vms: Int, route: [String],
                    modes: [String], probeIntervalMilliseconds: Double, hypervisorsPerSite: Int? = nil,
                    routes: [String: [[String]]]? = nil, clusterMembers: Int? = nil, etcdMembers: Int? = nil) {
            self.hypervisorsPerSite = hypervisorsPerSite
            self.routes = routes
            self.clusterMembers = clusterMembers
            self.etcdMembers = etcdMembers
            self.sites = sites
            self.oneWayDelayMilliseconds = oneWayDelayMilliseconds
            self.lossPercent = lossPercent
            self.vms = vms
            self.route = route
            self.modes = modes
            self.probeIntervalMilliseconds = probeIntervalMilliseconds
        }
    }

    public var parameters: Parameters
    /// When the run started and ended (seconds since 1970).
    public var started: Double
    public var finished: Double
    public var migrations: [MigrationRecord]
    /// The failovers of a cluster of home agents, in order; nil in a migration report.
    public var failovers: [FailoverRecord]?

    public init(parameters: Parameters, started: Double, finished: Double, migrations: [MigrationRecord],
                failovers: [FailoverRecord]? = nil) {
        self.parameters = parameters
        self.started = started
        self.finished = finished
        self.migrations = migrations
        self.failovers = failovers
    }

    /// The report as pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The table a person reads at the end of `make demo`.
    public var summary: String {
        if let failovers { return failoverSummary(failovers) }
        var lines: [String] = []
        let p = parameters
        if let hypervisors = p.hypervisorsPerSite {
            lines.append("GLM lab, federation: \(p.vms) VM(s), \(p.sites) sites × \(hypervisors) hypervisors, one-way delay "
                         + "\(Self.format(p.oneWayDelayMilliseconds)) ms per site link "
                         + "(\(Self.format(2 * p.oneWayDelayMilliseconds)) ms between sites)"
                         + (p.lossPercent > 0 ? ", loss \(Self.format(p.lossPercent)) %" : "")
                         + ", probes every \(Self.format(p.probeIntervalMilliseconds)) ms")
            for (vm, passes) in (p.routes ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append("  \(vm): " + zip(p.modes, passes).map { "\($0) \($1.joined(separator: "→"))" }.joined(separator: "; "))
            }
        } else {
            lines.append("GLM lab: \(p.vms) VM(s), \(p.sites) sites, one-way WAN delay \(Self.format(p.oneWayDelayMilliseconds)) ms"
                         + (p.lossPercent > 0 ? ", loss \(Self.format(p.lossPercent)) %" : "")
                         + ", probes every \(Self.format(p.probeIntervalMilliseconds)) ms")
        }
        lines.append("")
        let header = ["vm", "mode", "from → to", "WAN RTT", "QEMU downtime", "traffic gap", "mobility overhead",
                      "probes lost", "lost outside downtime"]
        var rows: [[String]] = []
        for record in migrations {
            rows.append([record.vm, record.mode, record.hop,
                         Self.milliseconds(record.wanRoundTripMilliseconds),
                         Self.milliseconds(record.qemuDowntimeMilliseconds),
                         record.trafficGapMilliseconds.map(Self.milliseconds) ?? "-",
                         record.mobilityOverheadMilliseconds.map(Self.milliseconds) ?? "-",
                         "\(record.probes.lost)/\(record.probes.sent)",
                         "\(record.probes.lostOutsideDowntime)"])
        }
        lines += Self.table(header: header, rows: rows)
        lines += sideBySide
        lines.append("")
        lines.append("Mobility overhead: the traffic gap minus QEMU's own downtime, i.e. what the network's handoff added.")
        if p.hypervisorsPerSite != nil {
            lines.append("WAN RTT: the round trip from the VM's correspondent to the host reached (0 on its home LAN).")
        }
        return lines.joined(separator: "\n")
    }

    /// With both modes: each hop's overhead and lost probes in one mode beside the other.
    /// Where the second pass walks other hosts (the federation's starts where the first
    /// ended), the row names both hops, the first mode's first.
    var sideBySide: [String] {
        let modes = parameters.modes
        guard modes.count == 2 else { return [] }
        let first = migrations.filter { $0.mode == modes[0] }
        let second = migrations.filter { $0.mode == modes[1] }
        guard first.count == second.count, !first.isEmpty else { return [] }
        let header = ["vm", "from → to", "overhead \(modes[0])", "overhead \(modes[1])",
                      "lost outside downtime \(modes[0])", "lost outside downtime \(modes[1])"]
        let rows = zip(first, second).map { a, b in
            [a.vm, a.hop == b.hop ? a.hop : "\(a.hop) | \(b.hop)", a.mobilityOverheadMilliseconds.map(Self.milliseconds) ?? "-",
             b.mobilityOverheadMilliseconds.map(Self.milliseconds) ?? "-", "\(a.probes.lostOutsideDowntime)",
             "\(b.probes.lostOutsideDowntime)"]
        }
        return ["", "Side by side:"] + Self.table(header: header, rows: rows)
    }

    /// A header, a rule under it and the rows, in left-aligned columns two spaces apart.
    static func table(header: [String], rows: [[String]]) -> [String] {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
        }
        return [line(header), line(widths.map { String(repeating: "─", count: $0) })] + rows.map(line)
    }

    static func milliseconds(_ value: Double) -> String { "\(format(value)) ms" }

    static func format(_ value: Double) -> String {
        String(format: value.magnitude >= 100 ? "%.0f" : "%.1f", value)
    }
}
