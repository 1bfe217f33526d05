import Foundation
import LabProcesses

extension LabTopology {
    /// Starts `program delay-line` in the WAN namespace and routes everything the WAN
    /// core receives on its `to-*` links into the delay line's TUN device.
    func startDelayLine(_ configuration: DelayLine.Configuration, program: String) async throws {
        let child = try spawn(wan, [program, "delay-line", "--device", Self.delayLineDevice] + configuration.arguments)
        state.withLock { $0.delayLine = child }
        let up = await waitUntil(timeout: .seconds(10)) {
            child.status == -1 ? child.standardOutput.contains("delay line \(Self.delayLineDevice) up") : true
        }
        guard up, child.status == -1 else {
            throw LabError("glm-wan delay-line did not start: \(child.standardError)")
        }
        try await command(["-n", wan, "link", "set", Self.delayLineDevice, "up"])
        try await sysctl(wan, "net.ipv4.conf.\(Self.delayLineDevice).rp_filter", "0")
        try await command(["-n", wan, "route", "add", "default", "dev", Self.delayLineDevice, "table", Self.delayLineTable])
        for host in hosts {
            try await command(["-n", wan, "rule", "add", "iif", host.wanCoreLink, "lookup", Self.delayLineTable,
                               "priority", "100"])
        }
    }

    /// Stops the delay line (SIGTERM) and returns the counters it printed as it exited;
    /// nil without a delay line or when it printed none. Packets then cross undelayed.
    public func stopDelayLine() async -> DelayLine.Counters? {
        guard let child = state.withLock({ state in defer { state.delayLine = nil }; return state.delayLine }) else {
            return nil
        }
        child.signal(SIGTERM)
        guard await child.waitForExit(timeout: .seconds(5)) else {
            child.kill()
            return nil
        }
        for host in hosts {
            _ = try? await command(["-n", wan, "rule", "delete", "iif", host.wanCoreLink, "lookup", Self.delayLineTable])
        }
        return child.standardOutput.split(separator: "\n").lazy.compactMap { DelayLine.Counters(line: String($0)) }.last
    }
}
