import Foundation
import LabProcesses

extension NamespaceCommands {
    /// Starts `program delay-line` on TUN `device` in the WAN core's namespace `wan` and
    /// routes everything the core receives on `links` into it (policy routing: `iif LINK
    /// lookup TABLE`, the table's default route into the device). Returns the running
    /// delay line once its device is up.
    func startDelayLine(_ configuration: DelayLine.Configuration, program: String, in wan: String, links: [String],
                        device: String, table: String) async throws -> ChildProcess {
        let child = try spawn(wan, [program, "delay-line", "--device", device] + configuration.arguments)
        let up = await waitUntil(timeout: .seconds(10)) {
            child.status == -1 ? child.standardOutput.contains("delay line \(device) up") : true
        }
        guard up, child.status == -1 else {
            child.kill()
            throw LabTopology.LabError("glm-wan delay-line did not start: \(child.standardError)")
        }
        try await command(["-n", wan, "link", "set", device, "up"])
        try await sysctl(wan, [("net.ipv4.conf.\(device).rp_filter", "0")])
        try await command(["-n", wan, "route", "add", "default", "dev", device, "table", table])
        for link in links {
            try await command(["-n", wan, "rule", "add", "iif", link, "lookup", table, "priority", "100"])
        }
        return child
    }

    /// Stops a delay line (SIGTERM), takes its rules out, and returns the counters it
    /// printed as it exited; nil when it printed none.
    func stopDelayLine(_ child: ChildProcess, in wan: String, links: [String], table: String) async -> DelayLine.Counters? {
        child.signal(SIGTERM)
        guard await child.waitForExit(timeout: .seconds(5)) else {
            child.kill()
            return nil
        }
        for link in links {
            _ = try? await command(["-n", wan, "rule", "delete", "iif", link, "lookup", table])
        }
        return child.standardOutput.split(separator: "\n").lazy.compactMap { DelayLine.Counters(line: String($0)) }.last
    }
}
