extension FederationTopology {
    /// Adds every namespace, then the WAN core, then each site: its switch, its
    /// home-agent host, its correspondent and its hypervisors, each wired to the switch.
    func build() async throws {
        for namespace in namespaces {
            try await commands.addNamespace(namespace)
        }
        try await sysctl(wan, Self.router)
        for site in sites {
            try await buildSwitch(site: site)
            try await buildHomeAgentHost(site: site)
            try await buildCorrespondent(site: site)
            for hypervisor in hypervisors(site: site) {
                try await buildHypervisor(hypervisor)
            }
            try await buildClusterHosts(site: site)
            try await buildWANCoreLink(site: site)
        }
    }

    /// A router's sysctls: it forwards, and never tells a host of a better next hop.
    static let router: [(name: String, value: String)] = [
        ("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.send_redirects", "0"), ("net.ipv4.conf.default.send_redirects", "0"),
    ]

    /// The switch's bridges `wan` and `lan`, with no address.
    private func buildSwitch(site: Int) async throws {
        let switchNamespace = switchNamespace(site: site)
        for bridge in ["wan", "lan"] {
            try await command(["-n", switchNamespace, "link", "add", bridge, "type", "bridge"])
            try await command(["-n", switchNamespace, "link", "set", bridge, "up"])
        }
    }

    /// A veth from the site's switch, its end `port` a port of `bridge` and up, its other
    /// end `name` in `namespace` (and left down).
    func plug(site: Int, port: String, into bridge: String, name: String, in namespace: String) async throws {
        let switchNamespace = switchNamespace(site: site)
        try await command(["-n", switchNamespace, "link", "add", port, "type", "veth", "peer", "name", name, "netns", namespace])
        try await command(["-n", switchNamespace, "link", "set", port, "master", bridge, "up"])
    }

    /// `wan0` on the site's WAN segment with `address`, its default route to the WAN core.
    func attachToWAN(_ namespace: String, site: Int, port: String, address: String) async throws {
        try await plug(site: site, port: port, into: "wan", name: "wan0", in: namespace)
        try await command(["-n", namespace, "link", "set", "wan0", "up"])
        try await command(["-n", namespace, "address", "add", "\(address)/24", "dev", "wan0"])
        try await command(["-n", namespace, "route", "add", "default", "via", Self.wanGateway(site: site)])
    }

    /// The site's router and gateway: `wan0` on the WAN segment, `br-home` with the
    /// host's and the gateway's addresses on the LAN through `lan0`.
    private func buildHomeAgentHost(site: Int) async throws {
        let host = namespace(of: .homeAgent(site: site))
        try await sysctl(host, Self.router)
        try await attachToWAN(host, site: site, port: "ha-wan", address: Self.homeAgentWANAddress(site: site))
        try await plug(site: site, port: "ha-lan", into: "lan", name: Self.homeLANPort, in: host)
        try await command(["-n", host, "link", "add", Self.homeBridge, "type", "bridge"])
        try await command(["-n", host, "link", "set", Self.homeLANPort, "master", Self.homeBridge, "up"])
        try await command(["-n", host, "link", "set", Self.homeBridge, "up"])
        for address in [Self.homeAgentLANAddress(site: site), Self.gateway(site: site)] {
            try await command(["-n", host, "address", "add", "\(address)/24", "dev", Self.homeBridge])
        }
    }

    /// The correspondent: `eth0` on the LAN, its default route to the site's gateway.
    private func buildCorrespondent(site: Int) async throws {
        let host = namespace(of: .correspondent(site: site))
        try await plug(site: site, port: "cn", into: "lan", name: "eth0", in: host)
        try await command(["-n", host, "link", "set", "eth0", "up"])
        try await command(["-n", host, "address", "add", "\(Self.correspondentAddress(site: site))/24", "dev", "eth0"])
        try await command(["-n", host, "route", "add", "default", "via", Self.gateway(site: site)])
        // Let a gratuitous ARP update an entry however recently it was written.
        try await sysctl(host, [("net.ipv4.neigh.eth0.locktime", "0")])
    }

    /// A hypervisor: `wan0` on the WAN segment, and `br0` with its fixed MAC and no
    /// address, its port `uplink` on the LAN.
    private func buildHypervisor(_ hypervisor: Hypervisor) async throws {
        let host = namespace(of: hypervisor)
        try await sysctl(host, Self.router)
        try await attachToWAN(host, site: hypervisor.site, port: "hv\(hypervisor.index)-wan", address: hypervisor.wanAddress)
        try await plug(site: hypervisor.site, port: "hv\(hypervisor.index)-lan", into: "lan", name: hypervisor.uplink, in: host)
        try await command(["-n", host, "link", "add", hypervisor.bridge, "address", hypervisor.bridgeMAC, "type", "bridge"])
        try await command(["-n", host, "link", "set", hypervisor.uplink, "master", hypervisor.bridge, "up"])
        try await command(["-n", host, "link", "set", hypervisor.bridge, "up"])
    }

    /// The WAN core's link `to-s<s>` into the site's WAN segment, and the route to the
    /// site's home subnet through its home-agent host.
    private func buildWANCoreLink(site: Int) async throws {
        let link = Self.wanCoreLink(site: site)
        try await command(["-n", wan, "link", "add", link, "type", "veth", "peer", "name", "core", "netns", switchNamespace(site: site)])
        try await command(["-n", switchNamespace(site: site), "link", "set", "core", "master", "wan", "up"])
        try await command(["-n", wan, "link", "set", link, "up"])
        try await command(["-n", wan, "address", "add", "\(Self.wanGateway(site: site))/24", "dev", link])
        try await command(["-n", wan, "route", "add", Self.homeSubnet(site: site), "via", Self.homeAgentWANAddress(site: site)])
    }

    /// The WAN core's link to site `site`: `to-s<s>`.
    public static func wanCoreLink(site: Int) -> String { "to-s\(site)" }
}
