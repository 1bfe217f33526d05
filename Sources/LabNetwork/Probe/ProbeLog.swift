import Foundation

/// What a prober recorded: each numbered probe's send time and, when answered, its
/// reply's arrival time and TTL, all in wall-clock nanoseconds since the Unix epoch
/// (CLOCK_REALTIME, comparable with QMP event and pcap timestamps).
///
/// The text form (`glm-wan probe --output FILE` writes it; see Docs/lab.md):
///
/// ```
/// # glm-wan probe 1 target=10.10.0.50 interval_ns=1000000 duplicates=0
/// # number sent_ns reply_ns ttl
/// 1 1764026400000000000 1764026400006012345 62
/// 2 1764026400001000000 - -
/// ```
///
/// The first line names the format and version and carries `key=value` fields; later
/// lines starting with `#` are comments. One line per probe, numbers strictly
/// increasing; `-` marks an unanswered probe's reply time and TTL.
public struct ProbeLog: Sendable, Hashable {
    /// One probe and its answer.
    public struct Probe: Sendable, Hashable {
        /// The probe's number, from 1 (the ICMP sequence number is its low 16 bits).
        public var number: UInt32
        /// When the probe was sent.
        public var sent: Int64
        /// When the first reply arrived, or nil when none did.
        public var reply: Int64?
        /// The first reply's IP TTL.
        public var ttl: UInt8?

        public init(number: UInt32, sent: Int64, reply: Int64? = nil, ttl: UInt8? = nil) {
            self.number = number
            self.sent = sent
            self.reply = reply
            self.ttl = ttl
        }

        public var isAnswered: Bool { reply != nil }
        /// The round-trip time in nanoseconds, when answered.
        public var roundTrip: Int64? { reply.map { $0 - sent } }
    }

    /// The longest stretch without an answer: from one answered probe to the next.
    public struct Gap: Sendable, Hashable {
        /// The last answered probe before the gap.
        public var before: Probe
        /// The first answered probe after it.
        public var after: Probe
        /// The time between the two probes' sends, in nanoseconds.
        public var nanoseconds: Int64 { after.sent - before.sent }
        /// How many probes between the two went unanswered.
        public var lostProbes: Int { Int(after.number - before.number) - 1 }
    }

    public static let formatLine = "# glm-wan probe 1"

    public var target: String
    public var intervalNanoseconds: Int64
    /// Replies that arrived for a probe already answered.
    public var duplicates: Int
    public var probes: [Probe]

    public init(target: String, intervalNanoseconds: Int64, duplicates: Int, probes: [Probe]) {
        self.target = target
        self.intervalNanoseconds = intervalNanoseconds
        self.duplicates = duplicates
        self.probes = probes
    }

    public var sentCount: Int { probes.count }
    public var answeredCount: Int { probes.count { $0.isAnswered } }
    public var lostCount: Int { sentCount - answeredCount }

    /// The longest time between the sends of two consecutive answered probes, or nil with
    /// fewer than two answered. Unanswered probes before the first answer or after the
    /// last are not a gap between answers: see ``lost(outside:)``.
    public var longestGap: Gap? {
        let answered = probes.filter(\.isAnswered)
        return zip(answered, answered.dropFirst()).map { Gap(before: $0, after: $1) }.max { $0.nanoseconds < $1.nanoseconds }
    }

    /// The unanswered probes sent before `window`'s start or after its end (wall-clock
    /// nanoseconds): losses the window (a migration, say) does not explain.
    public func lost(outside window: ClosedRange<Int64>) -> [Probe] {
        probes.filter { !$0.isAnswered && !window.contains($0.sent) }
    }

    /// The round-trip time (nanoseconds) below which `fraction` (0...1) of the answered
    /// probes' fall, nearest rank; nil when none was answered.
    public func roundTrip(percentile fraction: Double) -> Int64? {
        let sorted = probes.compactMap(\.roundTrip).sorted()
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

extension ProbeLog {
    /// The log in its text form.
    public var text: String {
        var text = "\(Self.formatLine) target=\(target) interval_ns=\(intervalNanoseconds) duplicates=\(duplicates)\n"
        text += "# number sent_ns reply_ns ttl\n"
        for probe in probes {
            text += "\(probe.number) \(probe.sent) \(probe.reply.map(String.init) ?? "-") \(probe.ttl.map(String.init) ?? "-")\n"
        }
        return text
    }

    /// Parses the text form; errors name the line.
    public init(parsing text: String) throws(ProbeLogError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first, header.hasPrefix(Self.formatLine + " ") || header == Self.formatLine else {
            throw ProbeLogError(.missingHeader, line: 1, "the first line is not \"\(Self.formatLine) ...\"")
        }
        var fields: [Substring: Substring] = [:]
        for field in header.dropFirst(Self.formatLine.count).split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ProbeLogError(.badHeader, line: 1, "\(field) is not key=value") }
            fields[parts[0]] = parts[1]
        }
        guard let target = fields["target"] else { throw ProbeLogError(.badHeader, line: 1, "no target=") }
        guard let interval = fields["interval_ns"].flatMap({ Int64($0) }), interval > 0 else {
            throw ProbeLogError(.badHeader, line: 1, "interval_ns= is missing or not a positive integer")
        }
        guard let duplicates = fields["duplicates"].flatMap({ Int($0) }), duplicates >= 0 else {
            throw ProbeLogError(.badHeader, line: 1, "duplicates= is missing or not a count")
        }
        var probes: [Probe] = []
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty && !line.hasPrefix("#") {
            let probe = try Self.probe(line, line: index + 1)
            if let previous = probes.last, probe.number <= previous.number {
                throw ProbeLogError(.outOfOrder, line: index + 1, "probe \(probe.number) follows probe \(previous.number)")
            }
            probes.append(probe)
        }
        self.init(target: String(target), intervalNanoseconds: interval, duplicates: duplicates, probes: probes)
    }

    /// Reads and parses the file at `path`.
    public init(contentsOfFile path: String) throws {
        try self.init(parsing: String(contentsOfFile: path, encoding: .utf8))
    }

    private static func probe(_ text: Substring, line: Int) throws(ProbeLogError) -> Probe {
        let columns = text.split(separator: " ")
        guard columns.count == 4 else {
            throw ProbeLogError(.badProbe, line: line, "expected 4 columns (number sent_ns reply_ns ttl), found \(columns.count)")
        }
        guard let number = UInt32(columns[0]), let sent = Int64(columns[1]) else {
            throw ProbeLogError(.badProbe, line: line, "number or sent_ns is not an integer")
        }
        switch (columns[2], columns[3]) {
        case ("-", "-"):
            return Probe(number: number, sent: sent)
        case let (reply, ttl):
            guard let reply = Int64(reply), let ttl = UInt8(ttl) else {
                throw ProbeLogError(.badProbe, line: line, "reply_ns and ttl must both be integers (ttl 0-255) or both -")
            }
            return Probe(number: number, sent: sent, reply: reply, ttl: ttl)
        }
    }
}

/// Why a probe log could not be read, with the line (from 1) at fault.
public struct ProbeLogError: Error, Hashable, CustomStringConvertible {
    /// What was wrong; compare with the static members.
    public struct Code: Hashable, Sendable {
        private enum Value { case missingHeader, badHeader, badProbe, outOfOrder }
        private let value: Value

        /// The first line does not name the format.
        public static let missingHeader = Code(value: .missingHeader)
        /// The first line's fields are malformed or missing.
        public static let badHeader = Code(value: .badHeader)
        /// A probe line is malformed.
        public static let badProbe = Code(value: .badProbe)
        /// A probe's number is not above the previous one's.
        public static let outOfOrder = Code(value: .outOfOrder)
    }

    public let code: Code
    public let line: Int
    private let reason: String

    init(_ code: Code, line: Int, _ reason: String) {
        self.code = code
        self.line = line
        self.reason = reason
    }

    public var description: String { "probe log line \(line): \(reason)" }
}
