import Foundation
import GLMWire
import LabSupport
import Testing

/// `glmctl decode`, run as an operator runs it, on a capture our encoder wrote.
@Suite("glmctl decode")
struct GlmctlDecodeTests {
    /// The glmctl built beside this test binary.
    func glmctl() throws -> String {
        try #require(TestEnvironment.builtExecutable("glmctl"), "glmctl is not built (swift build --build-tests builds it)")
    }

    func objects(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test("one JSON object per message, every field, authenticators verified with the keys")
    func json() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let capture = scratch.file("signaling.pcap")
        try SignalingCapture.write(to: capture)
        let keys = scratch.file("keys")
        try """
            # SPI  algorithm        key
            256    hmac-sha256-128  \(SignalingCapture.key.hexString)
            0x101  hmac-sha1-96     \(Array(SignalingCapture.key.prefix(20)).hexString)  # the legacy peer
            """.write(toFile: keys, atomically: true, encoding: .utf8)

        let run = try ProgramRun(try glmctl(), ["decode", capture, "--json", "--keys", keys])
        #expect(run.status == 0, "\(run.standardError)")
        let records = try objects(run.standardOutput)
        try #require(records.count == SignalingCapture.entries.count)
        #expect(records.allSatisfy { ($0["authentication"] as? [String: Any])?["verdict"] as? String == "verified" })

        let pbu = records[0]
        #expect(pbu["message"] as? String == "proxy-binding-update")
        #expect(pbu["mhType"] as? Int == 5)
        #expect(pbu["source"] as? String == "198.18.2.2" && pbu["sourcePort"] as? Int == 5436)
        #expect(pbu["destination"] as? String == "198.18.0.2" && pbu["destinationPort"] as? Int == 5436)
        #expect(pbu["sequenceNumber"] as? Int == 4660)
        #expect(pbu["flags"] as? [String] == ["A", "P"])
        #expect(pbu["lifetimeSeconds"] as? Int == 300)
        #expect(abs((pbu["time"] as? Double ?? 0) - 1_795_000_000) < 0.000_001)
        let options = try #require(pbu["options"] as? [[String: Any]])
        #expect(options.map { $0["name"] as? String } == ["mobile-node-identifier", "handoff-indicator", "access-technology-type",
                                                          "timestamp", "ipv4-home-address-request"])
        #expect(options[0]["identifier"] as? String == "52:54:00:12:34:56")
        #expect(options[0]["subtype"] as? Int == 5)
        #expect(options[1]["value"] as? Int == 3)
        #expect(options[3]["seconds"] as? Int == 0x6500_0000 && options[3]["fraction"] as? Int == 0x8000)
        #expect(options[4]["address"] as? String == "10.10.0.50" && options[4]["prefixLength"] as? Int == 24)
        let auth = try #require(pbu["authentication"] as? [String: Any])
        #expect(auth["spi"] as? Int == 256)

        let pba = records[1]
        #expect(pba["status"] as? Int == 0 && pba["statusName"] as? String == "accepted")
        let pbaOptions = try #require(pba["options"] as? [[String: Any]])
        #expect(pbaOptions.contains { $0["name"] as? String == "gre-key" && $0["key"] as? Int == 3_735_928_559 })
        #expect(pbaOptions.contains { $0["name"] as? String == "ipv4-default-router-address" && $0["address"] as? String == "10.10.0.1" })
        #expect(records[2]["trigger"] as? Int == 2)
        #expect(records[3]["status"] as? Int == 0)
        #expect(records[5]["flags"] as? [String] == ["R"])
        #expect(records[6]["sourcePort"] as? Int == 40000)
    }

    @Test("a wrong key shows as a mismatch; without keys nothing is checked")
    func verdicts() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let capture = scratch.file("signaling.pcap")
        try SignalingCapture.write(to: capture)
        let keys = scratch.file("keys")
        try "256 hmac-sha256-128 \([UInt8](repeating: 9, count: 32).hexString)\n".write(toFile: keys, atomically: true, encoding: .utf8)
        let run = try ProgramRun(try glmctl(), ["decode", capture, "--json", "--keys", keys])
        let verdicts = try objects(run.standardOutput).map { ($0["authentication"] as? [String: Any])?["verdict"] as? String }
        #expect(verdicts == Array(repeating: "mismatch", count: 6) + ["unknown-spi"])
        let unchecked = try ProgramRun(try glmctl(), ["decode", capture, "--json"])
        #expect(try objects(unchecked.standardOutput).allSatisfy {
            ($0["authentication"] as? [String: Any])?["verdict"] as? String == "not-checked"
        })
    }

    @Test("a datagram that does not decode gives an error object and a non-zero exit")
    func errors() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let capture = scratch.file("signaling.pcap")
        try SignalingCapture.write(to: capture, extra: [[59, 1, 13, 0, 0, 0, 0, 0, 0, 0, 0, 1, 28, 9, 0, 0], [59, 3]])
        let run = try ProgramRun(try glmctl(), ["decode", capture, "--json"])
        #expect(run.status == 1)
        let records = try objects(run.standardOutput)
        try #require(records.count == SignalingCapture.entries.count + 2)
        #expect(records[7]["error"] as? String == "optionOverrunsMessage")
        #expect(records[7]["offset"] as? Int == 12)
        #expect((records[7]["reason"] as? String)?.contains("option type 28") == true)
        #expect(records[7]["frame"] as? Int == 8)
        #expect(records[8]["error"] as? String == "truncated")

        let text = try ProgramRun(try glmctl(), ["decode", capture])
        #expect(text.status == 1)
        let lines = text.standardOutput.split(separator: "\n")
        #expect(lines.count == 9)
        #expect(lines[0].contains("198.18.2.2:5436 > 198.18.0.2:5436 PBU seq 4660"))
        #expect(lines[7].contains("ERROR optionOverrunsMessage"))
    }

    @Test("a bad keys file is refused with file, line and reason")
    func badKeys() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let capture = scratch.file("signaling.pcap")
        try SignalingCapture.write(to: capture)
        let keys = scratch.file("keys")
        try "# keys\n256 hmac-sha256-128 \([UInt8](repeating: 9, count: 32).hexString)\n257 hmac-md5 00\n"
            .write(toFile: keys, atomically: true, encoding: .utf8)
        let run = try ProgramRun(try glmctl(), ["decode", capture, "--keys", keys])
        #expect(run.status != 0)
        #expect(run.standardError.contains("\(keys):3: unknown algorithm `hmac-md5`"), "\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
    }
}
