import Foundation
import LabNetwork
import LabSupport
import Testing

/// What the lab's network tests need: root (namespaces, TUN, raw sockets), iproute2, and
/// `glm-wan` built beside the tests. Nil after recording why not (a skip, or a failure
/// under CI=true).
struct LabPrerequisites {
    let ip: String
    let bridge: String
    let wan: String

    init?(sourceLocation: SourceLocation = #_sourceLocation) {
        guard TestEnvironment.require(TestEnvironment.isRoot, "the lab network tests need root (namespaces, TUN, raw sockets)",
                                      sourceLocation: sourceLocation) else { return nil }
        guard let ip = TestEnvironment.tool("ip"), let bridge = TestEnvironment.tool("bridge") else {
            _ = TestEnvironment.require(false, "iproute2 (ip, bridge) is not installed", sourceLocation: sourceLocation)
            return nil
        }
        guard let wan = TestEnvironment.builtExecutable("glm-wan") else {
            _ = TestEnvironment.require(false, "glm-wan is not built beside the tests (swift build --build-tests builds it)",
                                        sourceLocation: sourceLocation)
            return nil
        }
        self.ip = ip
        self.bridge = bridge
        self.wan = wan
    }

    /// Runs `glm-wan probe` in `namespace` against `target` for `seconds` at 1 ms and
    /// returns its log.
    func probe(_ target: String, from namespace: String, in lab: some NamespaceLab, seconds: Double,
               sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProbeLog {
        let output = lab.file("probe-\(UUID().uuidString).log")
        let run = try await lab.run(namespace, [wan, "probe", "--target", target, "--interval-ms", "1",
                                                "--duration", "\(seconds)", "--grace", "0.5", "--output", output],
                                    timeout: .seconds(Int64(seconds) + 10))
        try #require(run.succeeded, "glm-wan probe: \(run.standardError)", sourceLocation: sourceLocation)
        return try ProbeLog(contentsOfFile: output)
    }

    /// Removes `lab` twice (it is idempotent) with a program running in `namespace`, and
    /// checks that nothing outlived it: the program, a namespace, the scratch folder.
    func expectRemovesEverything(_ lab: some NamespaceLab, runningIn namespace: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let sleeper = try lab.spawn(namespace, ["sleep", "60"])
        try #require(await waitUntil { try await lab.output(["netns", "pids", namespace]).contains("\(sleeper.pid)") },
                     sourceLocation: sourceLocation)
        lab.remove()
        lab.remove()
        #expect(await sleeper.waitForExit(timeout: .seconds(5)), "what ran in the lab outlived it", sourceLocation: sourceLocation)
        let left = try await ProgramRun.run(ip, ["netns", "list"]).standardOutput
        #expect(!left.contains(lab.prefix + "-"), "namespaces left behind: \(left)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: lab.scratch), sourceLocation: sourceLocation)
    }
}

extension ProbeLog {
    /// Median and 95th percentile round trips in milliseconds, and losses, for printing.
    var figures: String {
        let median = Double(roundTrip(percentile: 0.5) ?? 0) / 1e6
        let p95 = Double(roundTrip(percentile: 0.95) ?? 0) / 1e6
        return String(format: "median %.3f ms, p95 %.3f ms, %d sent, %d lost", median, p95, sentCount, lostCount)
    }
}
