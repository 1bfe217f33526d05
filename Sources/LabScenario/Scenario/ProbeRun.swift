import Foundation
import LabNetwork
import LabProcesses

/// The correspondent's prober for one VM: `glm-wan probe` in the correspondent's
/// namespace, numbered ICMP echoes at a fixed interval until stopped.
public final class ProbeRun: @unchecked Sendable {
    public let vm: VMProfile
    /// The probe log `glm-wan probe` writes.
    public let file: String
    private let process: ChildProcess

    /// Starts `program probe` (the `glm-wan` executable) towards `vm`'s address in the
    /// correspondent's namespace `correspondent`, with `spawn` (a lab's `spawn(_:_:)`);
    /// returns once it probes.
    public init(vm: VMProfile, from correspondent: String, spawn: (String, [String]) throws -> ChildProcess,
                program: String, interval: Duration, file: String) async throws {
        self.vm = vm
        self.file = file
        process = try spawn(correspondent, [program, "probe", "--target", vm.address,
                                            "--interval-ms", "\(interval.milliseconds)", "--output", file])
        let started = await waitUntil(timeout: .seconds(10)) {
            process.status != -1 || process.standardOutput.contains("probing")
        }
        guard started, process.status == -1 else {
            throw ScenarioError("the prober for \(vm.name) did not start: \(process.standardError)")
        }
    }

    /// What the prober recorded so far (it goes on): SIGUSR1, then its snapshot file.
    public func snapshot() async throws -> ProbeLog {
        let path = file + ".snapshot"
        try? FileManager.default.removeItem(atPath: path)
        process.signal(SIGUSR1)
        guard await waitUntil(timeout: .seconds(5), { FileManager.default.fileExists(atPath: path) }) else {
            throw ScenarioError("the prober for \(vm.name) wrote no snapshot")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ProbeLog(contentsOfFile: path)
    }

    /// Stops probing (SIGTERM; the prober waits a second for late replies) and reads the log.
    public func stop() async throws -> ProbeLog {
        process.signal(SIGTERM)
        guard await process.waitForExit(timeout: .seconds(10)) else {
            process.kill()
            throw ScenarioError("the prober for \(vm.name) did not stop")
        }
        return try ProbeLog(contentsOfFile: file)
    }
}
