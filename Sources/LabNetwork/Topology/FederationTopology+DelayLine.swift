import Foundation
import LabProcesses

extension FederationTopology {
    /// Starts `program delay-line` in the WAN namespace and routes everything the WAN
    /// core receives on its `to-s*` links into the delay line's TUN device.
    func startDelayLine(_ configuration: DelayLine.Configuration, program: String) async throws {
        let child = try await commands.startDelayLine(configuration, program: program, in: wan, links: sites.map(Self.wanCoreLink),
                                                      device: Self.delayLineDevice, table: Self.delayLineTable)
        lifetime.adopt(delayLine: child)
    }

    /// Stops the delay line (SIGTERM) and returns the counters it printed as it exited;
    /// nil without a delay line or when it printed none. Packets then cross undelayed.
    public func stopDelayLine() async -> DelayLine.Counters? {
        guard let child = lifetime.takeDelayLine() else {
            return nil
        }
        return await commands.stopDelayLine(child, in: wan, links: sites.map(Self.wanCoreLink), table: Self.delayLineTable)
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
