import LabNetwork

extension FederationTopology {
    /// Brings a cluster member's machine back after ``crash(_:)``: its links up, and its
    /// default route to the WAN core again (the kernel drops the routes through a link
    /// that goes down). Its addresses were never removed; what ran there must be started
    /// again, and a home agent started there drops what its killed predecessor left.
    func restore(_ member: Host) async throws {
        guard case .clusterMember(let site, _) = member else {
            throw LabError("\(member) is not a cluster member")
        }
        let namespace = namespace(of: member)
        for link in ["wan0", FederationTopology.clusterMemberLANPort] {
            try await command(["-n", namespace, "link", "set", link, "up"])
        }
        try await command(["-n", namespace, "route", "replace", "default", "via", Self.wanGateway(site: site)])
    }
}
