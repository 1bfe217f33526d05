import AgentRuntime
import Foundation
import GLMWire
import LabSupport
import Logging
import Testing

/// The agents' log lines as journald and log shippers get them: the real `home-agent`
/// with its standard error a file whose device and inode `JOURNAL_STREAM` names (as
/// systemd sets it for a service logging to the journal), and with `log-format: json`.
@Suite("Log lines for journald and for shippers", .serialized)
struct AgentLogTests {
    /// Runs the home agent until it logged its start and a refusal (a forged PBU), then
    /// stops it; returns its standard error.
    static func run(extra: String, journal: Bool) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-log-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = UInt16.random(in: 20000...40000)
        let config = "\(directory)/home-agent.yaml"
        try (HomeAgentProcessTests.configuration(port: port, directory: directory, vms: 1) + extra)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let logPath = "\(directory)/stderr"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        var status = stat()
        #expect(fstat(log.fileDescriptor, &status) == 0)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try HomeAgentProcessTests.executable("home-agent"))
        process.arguments = ["run", "--config", config, "--no-data-plane"]
        var environment = ProcessInfo.processInfo.environment
        environment["JOURNAL_STREAM"] = journal ? "\(status.st_dev):\(status.st_ino)" : nil
        process.environment = environment
        process.standardError = log
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let site = try SiteSocket(address: DaemonTests.siteA, association: DaemonTests.keyA, home: DaemonTests.home, homePort: port)
        try #require(await site.waitForAgent(), "the agent answers on its signaling socket")
        site.register(HomeAgentProcessTests.mac(1), key: DaemonTests.keyB)
        _ = await site.receive()
        try await Task.sleep(for: .milliseconds(200))
        process.terminate()
        process.waitUntilExit()
        try log.close()
        return try String(contentsOfFile: logPath, encoding: .utf8)
    }

    @Test("under journald every line carries its priority, and no time of its own")
    func journalPriorities() async throws {
        let text = try await Self.run(extra: "", journal: true)
        let lines = text.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.range(of: #"^<[0-7]>[a-z]+ glm\."#, options: .regularExpression) != nil, "\(line)")
        }
        #expect(lines.contains { $0.hasPrefix("<6>info glm.home-agent:") && $0.hasSuffix("home agent started") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("<5>notice") && $0.hasSuffix("registration refused") }, "\(text)")
    }

    @Test("without journald a line starts with its time; with log-format json each line is one object")
    func textAndJSON() async throws {
        let text = try await Self.run(extra: "", journal: false)
        let first = try #require(text.split(separator: "\n").first)
        #expect(first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} [a-z]+ glm\."#, options: .regularExpression) != nil,
                "\(first)")

        let json = try await Self.run(extra: "log-format: json\n", journal: false)
        var levels: [String: String] = [:]
        for line in json.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["time"] is String && object["label"] as? String == "glm.home-agent", "\(line)")
            if let message = object["message"] as? String { levels[message] = object["level"] as? String }
            if object["message"] as? String == "registration refused" {
                let metadata = try #require(object["metadata"] as? [String: Any])
                #expect(metadata["site"] as? String == "site-a" && metadata["vm"] as? String == "mac:\(HomeAgentProcessTests.mac(1))")
            }
        }
        #expect(levels["home agent started"] == "info" && levels["registration refused"] == "notice", "\(json)")
    }
}
