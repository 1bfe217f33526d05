import Foundation
import LabProcesses

extension FederationTopology {
    /// Starts `program delay-line` in the WAN namespace and routes everything the WAN
    /// core receives on its `to-s*` links into the delay line's TUN device.
    func startDelayLine(_ configuration: DelayLine.Configuration, program: String) async throws {
        let device = Self.delayLineDevice
        let child = try spawn(wan, [program, "delay-line", "--device", device] + configuration.arguments)
        state.withLock { $0.delayLine = child }
        let up = await waitUntil(timeout: .seconds(10)) {
            child.status == -1 ? child.standardOutput.contains("delay line \(device) up") : true
        }
        guard up, child.status == -1 else {
            throw LabError("glm-wan delay-line did not start: \(child.standardError)")
        }
        try await command(["-n", wan, "link", "set", device, "up"])
        try await sysctl(wan, [("net.ipv4.conf.\(device).rp_filter", "0")])
        try await command(["-n", wan, "route", "add", "default", "dev", device, "table", Self.delayLineTable])
        for site in sites {
            try await command(["-n", wan, "rule", "add", "iif", Self.wanCoreLink(site: site), "lookup", Self.delayLineTable,
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
        for site in sites {
            _ = try? await command(["-n", wan, "rule", "delete", "iif", Self.wanCoreLink(site: site), "lookup", Self.delayLineTable])
        }
        return child.standardOutput.split(separator: "\n").lazy.compactMap { DelayLine.Counters(line: String($0)) }.last
    }
}

extension DelayLine.Configuration {
    /// This configuration with each site's home subnet (``FederationTopology/homeSubnet(site:)``)
    /// behind its link, for the first `siteCount` sites it has a link for: in a
    /// federation, packets between sites' LANs cross the WAN core with those addresses.
    public func routingHomeSubnets(siteCount: Int) -> Self {
        var configuration = self
        for index in configuration.sites.indices.prefix(siteCount) {
            let network = DelayLine.Network(FederationTopology.homeSubnet(site: index + 1))!
            if !configuration.sites[index].networks.contains(network) {
                configuration.sites[index].networks.append(network)
            }
        }
        return configuration
    }
}
