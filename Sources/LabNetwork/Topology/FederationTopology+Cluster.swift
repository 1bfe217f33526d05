import Foundation
import LabProcesses

/// Site 1 with a cluster of home agents: M members and E etcd members beside its
/// home-agent host, which stays the site's router and gateway.
///
/// ```
///     [sw1] ── bridge wan ──┬── wan0 198.18.1.<20+m>/24 [hm1<m>]   (+ the service address
///                           │                                        198.18.1.3 while serving)
///           ── bridge lan ──┼── lan0 10.1.0.<20+m>/24   [hm1<m>]   home interface
///                           └── eth0 10.1.0.<30+e>/24   [ed1<e>]   etcd, client port 2379
/// ```
///
/// The members' own addresses carry their member heartbeats; the service address is
/// the home agent's address as the sites know it, held by the serving member only.
extension FederationTopology {
    /// How many cluster members and etcd members site 1 has.
    public struct ClusterLayout: Sendable, Equatable {
        public var members: Int
        public var etcdMembers: Int

        public init(members: Int = 2, etcdMembers: Int = 3) {
            precondition((1...9).contains(members) && (1...9).contains(etcdMembers), "1 to 9 members of each")
            self.members = members
            self.etcdMembers = etcdMembers
        }
    }

    /// The cluster's hosts of site `site`: its members, then its etcd members.
    public func clusterHosts(site: Int) -> [Host] {
        guard site == 1, let cluster else { return [] }
        return (1...cluster.members).map { Host.clusterMember(site: site, index: $0) }
            + (1...cluster.etcdMembers).map { Host.etcd(site: site, index: $0) }
    }

    /// Site 1's cluster members.
    public var clusterMembers: [Host] { clusterHosts(site: 1).filter { if case .clusterMember = $0 { true } else { false } } }

    /// Site 1's etcd members.
    public var etcdHosts: [Host] { clusterHosts(site: 1).filter { if case .etcd = $0 { true } else { false } } }

    /// The address the sites know the cluster by: held by its serving member.
    public static func clusterServiceAddress(site: Int) -> String { "198.18.\(site).3" }

    /// A cluster member's own address on the WAN segment.
    public static func clusterMemberWANAddress(site: Int, index: Int) -> String { "198.18.\(site).\(20 + index)" }

    /// A cluster member's address on the LAN.
    public static func clusterMemberLANAddress(site: Int, index: Int) -> String { "10.\(site).0.\(20 + index)" }

    /// An etcd member's address on the LAN.
    public static func etcdAddress(site: Int, index: Int) -> String { "10.\(site).0.\(30 + index)" }

    /// The cluster member's interface on the LAN, its home interface.
    public static let clusterMemberLANPort = "lan0"

    func buildClusterHosts(site: Int) async throws {
        for host in clusterHosts(site: site) {
            let namespace = namespace(of: host)
            switch host {
            case .clusterMember(_, let index):
                try await sysctl(namespace, Self.router + [("net.ipv4.conf.all.rp_filter", "0")])
                try await attachToWAN(namespace, site: site, port: "hm\(index)-wan",
                                      address: Self.clusterMemberWANAddress(site: site, index: index))
                try await plug(site: site, port: "hm\(index)-lan", into: "lan", name: Self.clusterMemberLANPort, in: namespace)
                try await command(["-n", namespace, "link", "set", Self.clusterMemberLANPort, "up"])
                try await command(["-n", namespace, "address", "add", "\(Self.clusterMemberLANAddress(site: site, index: index))/24",
                                   "dev", Self.clusterMemberLANPort])
            case .etcd(_, let index):
                try await plug(site: site, port: "ed\(index)", into: "lan", name: "eth0", in: namespace)
                try await command(["-n", namespace, "link", "set", "lo", "up"])
                try await command(["-n", namespace, "link", "set", "eth0", "up"])
                try await command(["-n", namespace, "address", "add", "\(Self.etcdAddress(site: site, index: index))/24", "dev", "eth0"])
            default:
                break
            }
        }
    }

    /// Kills every process in `host`'s namespace (SIGKILL) and takes its links down: the
    /// machine is gone, as far as the others can tell.
    public func crash(_ host: Host) async throws {
        let namespace = namespace(of: host)
        _ = try? await ProgramRun.run(ip, ["netns", "pids", namespace]).standardOutput
            .split(whereSeparator: \.isNewline).compactMap { Int32($0) }.map { kill($0, SIGKILL) }
        for link in ["wan0", "lan0", "eth0"] {
            _ = try? await ProgramRun.run(ip, ["-n", namespace, "link", "set", link, "down"])
        }
    }
}
