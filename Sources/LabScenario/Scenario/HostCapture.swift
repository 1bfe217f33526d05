import Foundation
import LabNetwork
import LabProcesses
import LabVM

/// `tcpdump` on every interface of one lab host, keeping ARP, QEMU's announces and the
/// signaling (`arp or rarp or udp port 5436`) in a pcap file.
final class HostCapture: @unchecked Sendable {
    /// The host's name in the report (`home`, `site-a`, `A1`, `ha1`): its trace's key.
    let name: String
    let file: String
    private let process: ChildProcess

    static let filter = "arp or rarp or udp port 5436"

    /// Starts the capture in `namespace` with `spawn` (a lab's `spawn(_:_:)`); returns once
    /// tcpdump listens.
    init(name: String, namespace: String, spawn: (String, [String]) throws -> ChildProcess, file: String) async throws {
        let tcpdump = try HostTool.locate("tcpdump", package: "tcpdump")
        self.name = name
        self.file = file
        process = try spawn(namespace, [tcpdump, "-i", "any", "-U", "-s", "256", "-w", file, Self.filter])
        let listening = await waitUntil(timeout: .seconds(10)) {
            process.status != -1 || process.standardError.contains("listening on")
        }
        guard listening, process.status == -1 else {
            throw ScenarioError("tcpdump at \(name) did not start: \(process.standardError)")
        }
    }

    /// Starts the capture on `host` of the single-origin lab, named by its report name.
    convenience init(host: LabTopology.Host, topology: LabTopology, file: String) async throws {
        try await self.init(name: host.reportName, namespace: topology.namespace(of: host), spawn: topology.spawn, file: file)
    }

    /// Stops tcpdump (SIGTERM), which flushes the file.
    func stop() async {
        process.signal(SIGTERM)
        if !(await process.waitForExit(timeout: .seconds(5))) { process.kill() }
    }
}
