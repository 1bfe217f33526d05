import Foundation
import LabNetwork
import LabProcesses
import LabVM

/// `tcpdump` on every interface of one lab host, keeping ARP, QEMU's announces and the
/// signaling (`arp or rarp or udp port 5436`) in a pcap file.
final class HostCapture: @unchecked Sendable {
    let host: LabTopology.Host
    let file: String
    private let process: ChildProcess

    static let filter = "arp or rarp or udp port 5436"

    /// Starts the capture; returns once tcpdump listens.
    init(host: LabTopology.Host, topology: LabTopology, file: String) async throws {
        let tcpdump = try HostTool.locate("tcpdump", package: "tcpdump")
        self.host = host
        self.file = file
        process = try topology.spawn(topology.namespace(of: host),
                                     [tcpdump, "-i", "any", "-U", "-s", "256", "-w", file, Self.filter])
        let listening = await waitUntil(timeout: .seconds(10)) {
            process.status != -1 || process.standardError.contains("listening on")
        }
        guard listening, process.status == -1 else {
            throw ScenarioError("tcpdump at \(host.reportName) did not start: \(process.standardError)")
        }
    }

    /// Stops tcpdump (SIGTERM), which flushes the file.
    func stop() async {
        process.signal(SIGTERM)
        if !(await process.waitForExit(timeout: .seconds(5))) { process.kill() }
    }
}
