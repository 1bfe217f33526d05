import Foundation
import LabSupport
import Testing

/// The lab's recorded handoffs (`Tests/Fixtures/lab`), as an operator reads them: with
/// `glmctl decode` and the run's keys, and with tshark.
@Suite("The lab's captures, decoded")
struct LabCaptureTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lab").path

    @Test("glmctl verifies every message of the recorded handoffs with the run's keys", arguments: ["home.pcap", "site-a.pcap", "site-b.pcap"])
    func glmctlVerifies(capture: String) throws {
        let glmctl = try #require(TestEnvironment.builtExecutable("glmctl"), "glmctl is not built")
        let run = try ProgramRun(glmctl, ["decode", "\(Self.folder)/\(capture)", "--json", "--keys", "\(Self.folder)/signaling.keys"])
        #expect(run.status == 0, "\(run.standardError)")
        let records = try run.standardOutput.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(records.count >= 4, "the handoffs' signaling: \(records.count) messages")
        #expect(records.allSatisfy { ($0["authentication"] as? [String: Any])?["verdict"] as? String == "verified" })
        let messages = records.compactMap { $0["message"] as? String }
        #expect(messages.contains("proxy-binding-update") && messages.contains("proxy-binding-acknowledgement"))
        #expect(messages.contains("binding-revocation-indication") && messages.contains("binding-revocation-acknowledgement"))
    }

    @Test("tshark reads the home agent's capture as the same exchange")
    func tsharkReads() throws {
        guard let tshark = Prerequisite.tool("tshark") else { return }
        let run = try ProgramRun(tshark, ["-n", "-r", "\(Self.folder)/home.pcap", "-Y", "mipv6", "-T", "fields",
                                          "-e", "ip.src", "-e", "mip6.mhtype", "-e", "mip6.ba.status"])
        let rows = run.standardOutput.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        // PBU (5) and PBA (6) for site A; PBU, PBA, BRI (16) and BRA (16) for site B; BRI and BRA on the return home.
        #expect(rows.map { $0[1] } == ["5", "6", "5", "6", "16", "16", "16", "16"], "\(rows)")
        #expect(rows.filter { $0[1] == "6" }.allSatisfy { $0.count > 2 && $0[2] == "0" }, "every PBA accepted")
    }
}
