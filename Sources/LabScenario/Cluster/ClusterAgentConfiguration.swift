import Foundation
import LabNetwork

/// The configuration files of site A's cluster of home agents as its operators would
/// write them: on each member the same file but for `member` (the service address, the
/// members' own addresses, the cluster key, etcd's endpoints, every site once and site
/// A's VMs), and on hypervisor B1 a site agent that knows site A's home agent by the
/// cluster's service address.
struct ClusterAgentConfiguration {
    let topology: FederationTopology
    let hypervisor: FederationTopology.Hypervisor
    let vms: [VMProfile]
    /// etcd's members' client URLs.
    let etcdEndpoints: [String]
    let folder: String
    let expectedRoundTrip: Duration

    /// The cluster's name: its state lives under `/glm/site-a/` in etcd.
    static let clusterName = FederationAgentConfiguration.siteName(1)

    /// A member's name, that of its host: `hm11`, `hm12`.
    static func memberName(_ member: FederationTopology.Host) -> String { "\(member)" }

    func memberFile(_ member: FederationTopology.Host) -> String { "\(folder)/\(member).yaml" }
    func memberSocket(_ member: FederationTopology.Host) -> String { "\(folder)/\(member).sock" }
    var siteAgentFile: String { "\(folder)/\(FederationTopology.Host.hypervisor(hypervisor)).yaml" }
    var siteAgentSocket: String { "\(folder)/\(FederationTopology.Host.hypervisor(hypervisor)).sock" }
    var clusterKeyFile: String { "\(folder)/cluster.key" }
    /// The key shared by the cluster and every hypervisor of site `site`.
    func keyFile(site: Int) -> String { "\(folder)/ha1-site\(site).key" }

    func write() throws {
        try Self.writeKey(Self.randomKey(), to: clusterKeyFile)
        var keys = "# The lab's security associations, for `glmctl decode --keys`.\n"
        for site in topology.sites {
            let key = Self.randomKey()
            try Self.writeKey(key, to: keyFile(site: site))
            keys += "\(FederationAgentConfiguration.spi(home: 1, site: site)) hmac-sha256-128 \(key)"
        }
        try keys.write(toFile: "\(folder)/signaling.keys", atomically: true, encoding: .utf8)
        for member in topology.clusterMembers {
            try self.member(member).write(toFile: memberFile(member), atomically: true, encoding: .utf8)
        }
        try siteAgent().write(toFile: siteAgentFile, atomically: true, encoding: .utf8)
    }

    func member(_ member: FederationTopology.Host) -> String {
        var text = """
        # Written by the GLM lab: member \(member) of \(Self.clusterName)'s cluster of home agents.
        address: \(FederationTopology.clusterServiceAddress(site: 1))
        home-interface: \(FederationTopology.clusterMemberLANPort)
        control-socket: \(memberSocket(member))
        metrics: 127.0.0.1:9436
        log-level: info
        store: etcd
        cluster:
          name: \(Self.clusterName)
          member: \(Self.memberName(member))
          members:

        """
        for case .clusterMember(let site, let index) in topology.clusterMembers {
            text += "    - { name: \(Self.memberName(.clusterMember(site: site, index: index))), "
                + "address: \(FederationTopology.clusterMemberWANAddress(site: site, index: index)) }\n"
        }
        text += """
          key-file: \(clusterKeyFile)
          service-interface: wan0
          service-prefix-length: 24
          etcd:
            endpoints: [\(etcdEndpoints.joined(separator: ", "))]
        sites:

        """
        for site in topology.sites {
            text += "  - { name: \(FederationAgentConfiguration.siteName(site)), "
                + "hosts: [\(FederationAgentConfiguration.hypervisorPrefix(site))], " + (site == 1 ? "home: true, " : "")
                + "spi: \(FederationAgentConfiguration.spi(home: 1, site: site)), key-file: \(keyFile(site: site)) }\n"
        }
        text += "vms:\n"
        for vm in vms {
            text += "  - { mac: \"\(vm.mac)\", name: \(vm.name), address: \(vm.address)/\(vm.prefixLength), gateway: \(vm.gateway) }\n"
        }
        return text
    }

    func siteAgent() -> String {
        """
        # Written by the GLM lab: the site agent of hypervisor \(hypervisor) of \(FederationAgentConfiguration.siteName(hypervisor.site)).
        address: \(hypervisor.wanAddress)
        bridges: [\(hypervisor.bridge)]
        uplinks: [\(hypervisor.uplink)]
        control-socket: \(siteAgentSocket)
        metrics: 127.0.0.1:9437
        log-level: info
        timers:
          expected-rtt-ms: \(max(1, Int(expectedRoundTrip.milliseconds)))
        home-agents:
          - { name: \(FederationAgentConfiguration.homeAgentName(1)), address: \(FederationTopology.clusterServiceAddress(site: 1)), \
        spi: \(FederationAgentConfiguration.spi(home: 1, site: hypervisor.site)), key-file: \(keyFile(site: hypervisor.site)) }

        """
    }

    private static func randomKey() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() + "\n"
    }

    private static func writeKey(_ key: String, to file: String) throws {
        try key.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
    }
}
