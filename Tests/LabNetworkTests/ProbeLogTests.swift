import LabNetwork
import Testing

/// The probe log's text form and what the report computes from it, without root.
@Suite("Probe log")
struct ProbeLogTests {
    /// Probes 1-10 sent every millisecond from t0, answered 6 ms later, except 4-6 and 10.
    static let t0: Int64 = 1_764_026_400_000_000_000
    static let log = ProbeLog(target: "10.10.0.50", intervalNanoseconds: 1_000_000, duplicates: 2,
                              probes: (1...10).map { (number: UInt32) in
        let sent = t0 + Int64(number - 1) * 1_000_000
        let answered = ![4, 5, 6, 10].contains(number)
        return ProbeLog.Probe(number: number, sent: sent, reply: answered ? sent + 6_000_000 : nil, ttl: answered ? 62 : nil)
    })

    @Test("the text form round-trips and reads as documented")
    func roundTrip() throws {
        let text = Self.log.text
        #expect(text.hasPrefix("# glm-wan probe 1 target=10.10.0.50 interval_ns=1000000 duplicates=2\n"))
        #expect(text.contains("\n# number sent_ns reply_ns ttl\n1 1764026400000000000 1764026400006000000 62\n"))
        #expect(text.contains("\n4 1764026400003000000 - -\n"))
        #expect(try ProbeLog(parsing: text) == Self.log)
        // Extra header fields and comment lines are allowed; a missing final newline too.
        let extended = text.replacingOccurrences(of: "duplicates=2", with: "duplicates=2 host=cn") + "# done"
        #expect(try ProbeLog(parsing: extended) == Self.log)
        #expect(try ProbeLog(parsing: "# glm-wan probe 1 target=x interval_ns=5 duplicates=0\n").probes.isEmpty)
    }

    @Test("counts, the longest gap, losses outside a window, percentiles")
    func computations() {
        let log = Self.log
        #expect(log.sentCount == 10 && log.answeredCount == 6 && log.lostCount == 4)
        let gap = log.longestGap
        #expect(gap?.before.number == 3 && gap?.after.number == 7)
        #expect(gap?.nanoseconds == 4_000_000 && gap?.lostProbes == 3)
        // The window around 4-6 leaves only 10, unanswered at the end, outside it.
        #expect(log.lost(outside: (Self.t0 + 3_000_000)...(Self.t0 + 5_000_000)).map(\.number) == [10])
        #expect(log.lost(outside: (Self.t0 + 3_500_000)...(Self.t0 + 9_000_000)).map(\.number) == [4])
        #expect(log.roundTrip(percentile: 0.5) == 6_000_000 && log.roundTrip(percentile: 0.95) == 6_000_000)
        #expect(log.probes[0].roundTrip == 6_000_000 && log.probes[3].roundTrip == nil)
    }

    @Test("the longest gap is the widest, with fewer than two answers there is none")
    func gapEdges() {
        var log = Self.log
        #expect(ProbeLog(target: "x", intervalNanoseconds: 1, duplicates: 0, probes: [log.probes[0]]).longestGap == nil)
        log.probes[1].reply = nil
        log.probes[1].ttl = nil
        // Gaps now 1→3 (2 ms) and 3→7 (4 ms); making 7 unanswered too widens the second.
        #expect(log.longestGap?.before.number == 3)
        log.probes[6].reply = nil
        #expect(log.longestGap?.before.number == 3 && log.longestGap?.after.number == 8)
        #expect(ProbeLog(target: "x", intervalNanoseconds: 1, duplicates: 0, probes: []).roundTrip(percentile: 0.5) == nil)
    }

    @Test("malformed logs are refused with the line at fault",
          arguments: [
              ("", ProbeLogError.Code.missingHeader, 1),
              ("1 2 3 4\n", .missingHeader, 1),
              ("# glm-wan probe 2 target=x interval_ns=1 duplicates=0\n", .missingHeader, 1),
              ("# glm-wan probe 1 interval_ns=1 duplicates=0\n", .badHeader, 1),
              ("# glm-wan probe 1 target=x interval_ns=0 duplicates=0\n", .badHeader, 1),
              ("# glm-wan probe 1 target=x interval_ns=1\n", .badHeader, 1),
              ("# glm-wan probe 1 target=x interval_ns=1 duplicates=0 stray\n", .badHeader, 1),
              ("# glm-wan probe 1 target=x interval_ns=1 duplicates=0\n1 2 3\n", .badProbe, 2),
              ("# glm-wan probe 1 target=x interval_ns=1 duplicates=0\n# c\n1 2 3 64 5\n", .badProbe, 3),
              ("# glm-wan probe 1 target=x interval_ns=1 duplicates=0\n1 2 - 64\n", .badProbe, 2),
              ("# glm-wan probe 1 target=x interval_ns=1 duplicates=0\n1 2 3 256\n", .badProbe, 2),
              ("# glm-wan probe 1 target=x interval_ns=1 duplicates=0\nx 2 3 64\n", .badProbe, 2),
              ("# glm-wan probe 1 target=x interval_ns=1 duplicates=0\n2 2 3 64\n2 3 - -\n", .outOfOrder, 3),
          ])
    func refusals(text: String, code: ProbeLogError.Code, line: Int) {
        #expect {
            try ProbeLog(parsing: text)
        } throws: { error in
            guard let error = error as? ProbeLogError else { return false }
            return error.code == code && error.line == line && error.description.hasPrefix("probe log line \(line): ")
        }
    }
}
