import AgentConfiguration
import GLMWire
import HomeAgentCore
import Logging
import Yams

/// Turns the text of a configuration file into a ``HomeAgentConfiguration``, refusing
/// it at the first problem with the line where the problem is.
struct ConfigurationLoader {
    let source: ConfigurationSource

    init(path: String) {
        self.source = ConfigurationSource(path: path)
    }

    static let topLevelKeys = ["address", "port", "home-interface", "tunnel", "database", "control-socket",
                               "metrics", "log-level", "log-format", "timers", "sites", "vms", "store", "cluster"]
    static let siteKeys = ["name", "address", "hosts", "home", "spi", "algorithm", "key", "key-file"]
    static let vmKeys = ["mac", "name", "address", "gateway", "gre-key", "sites"]

    func load(yaml: String) throws(ConfigurationError) -> HomeAgentConfiguration {
        let top = try source.topLevel(yaml, allowed: Self.topLevelKeys)

        let address = try source.unicastAddress(top.required("address"), key: "address")
        let portNode = top.optional("port")
        let listenPort = try source.port(portNode, key: "port", default: HomeAgentConfiguration.defaultListenPort)
        let homeInterface = try source.interfaceName(top.required("home-interface"), key: "home-interface")
        let tunnel = try source.tunnel(top.optional("tunnel"), interface: HomeAgentConfiguration.defaultTunnelInterface,
                                       port: HomeAgentConfiguration.defaultTunnelPort,
                                       mtu: HomeAgentConfiguration.defaultTunnelMTU,
                                       signalingPort: listenPort, signalingPortNode: portNode)
        if tunnel.interface == homeInterface, let node = tunnel.interfaceNode {
            throw source.error("the tunnel interface cannot be the home interface '\(homeInterface)'", at: node)
        }

        let database = try top.optional("database").map { node throws(ConfigurationError) in
            try source.filePath(node, key: "database")
        } ?? HomeAgentConfiguration.defaultDatabase
        let controlSocket = try top.optional("control-socket").map(source.controlSocketPath)
            ?? HomeAgentConfiguration.defaultControlSocket
        let metrics = try top.optional("metrics").map { node throws(ConfigurationError) in
            try source.metricsEndpoint(node, example: "127.0.0.1:9436")
        } ?? HomeAgentConfiguration.defaultMetrics
        let logLevel = try top.optional("log-level").map(source.logLevel) ?? HomeAgentConfiguration.defaultLogLevel
        let logFormat = try top.optional("log-format").map(source.logFormat) ?? .text
        let timers = try top.optional("timers").map(self.timers) ?? HomeAgentTimers()

        let sitesNode = try top.required("sites")
        let siteNodes = try source.list(sitesNode, key: "sites")
        guard !siteNodes.isEmpty else {
            throw source.error("'sites' lists no site: at least one site must be allowed to register VMs", at: sitesNode)
        }
        var sites: [Entry<SitePolicy>] = []
        for node in siteNodes {
            sites.append(try site(node, homeAgent: address))
        }
        var vms: [Entry<VMPolicy>] = []
        if let node = top.optional("vms") {
            let known = Set(sites.map(\.value.name))
            for entry in try source.list(node, key: "vms") {
                vms.append(try vm(entry, knownSites: known))
            }
        }
        let policy = try makePolicy(address: address, sites: sites, vms: vms, timers: timers)
        let cluster = try self.cluster(store: top.optional("store"), cluster: top.optional("cluster"), address: address,
                                       homeInterface: homeInterface)
        var configuration = HomeAgentConfiguration(
            policy: policy, listenPort: listenPort, tunnelPort: tunnel.port, homeInterface: homeInterface,
            tunnelInterface: tunnel.interface, tunnelMTU: tunnel.mtu, database: database, controlSocket: controlSocket,
            metrics: metrics, logLevel: logLevel, logFormat: logFormat, cluster: cluster)
        configuration.tunnelImplementation = tunnel.implementation
        return configuration
    }

    // MARK: Sites and VMs

    /// A parsed list entry and the line it starts at.
    struct Entry<Value> {
        var value: Value
        var line: Int
    }

    private func site(_ node: Node, homeAgent: IPv4Address) throws(ConfigurationError) -> Entry<SitePolicy> {
        let entry = try ConfigurationSection(node, name: "a 'sites' entry", allowed: Self.siteKeys, source: source)
        let nameNode = try entry.required("name")
        let name = try source.text(nameNode, key: "name")
        guard ConfigurationSource.isValidPeerName(name) else {
            throw source.error("site name '\(name)' must be 1 to 64 letters, digits, '.', '_' or '-'", at: nameNode)
        }
        // One hypervisor (`address`) or several (`hosts`: addresses and prefixes).
        let hosts: [IPv4Prefix]
        let hostsNode: Node
        switch (entry.optional("address"), entry.optional("hosts")) {
        case (let node?, nil):
            hosts = [IPv4Prefix(host: try source.unicastAddress(node, key: "address"))]
            hostsNode = node
        case (nil, let node?):
            hosts = try source.hosts(node, key: "hosts")
            hostsNode = node
        case (_?, _?):
            throw source.error("site '\(name)' has both 'address' and 'hosts'; list every hypervisor under 'hosts'", line: entry.line)
        case (nil, nil):
            throw source.error("site '\(name)' needs 'hosts' (its hypervisors' signaling addresses or prefixes) or 'address'",
                               line: entry.line)
        }
        if hosts.contains(where: { $0.contains(homeAgent) }) {
            throw source.error("site '\(name)' holds the home agent's own address \(homeAgent)", at: hostsNode)
        }
        let isHome = try entry.optional("home").map { node throws(ConfigurationError) in try source.boolean(node, key: "home") } ?? false
        let association = try source.association(of: entry, peer: "site '\(name)'")
        return Entry(value: SitePolicy(name: name, hosts: hosts, association: association, isHome: isHome), line: entry.line)
    }

    private func vm(_ node: Node, knownSites: Set<String>) throws(ConfigurationError) -> Entry<VMPolicy> {
        let entry = try ConfigurationSection(node, name: "a 'vms' entry", allowed: Self.vmKeys, source: source)
        let mac = try source.mac(entry.required("mac"), key: "mac")
        var nai: String?
        if let node = entry.optional("name") {
            let name = try source.text(node, key: "name")
            guard (1...MobileNodeIdentifier.maximumIdentifierLength).contains(name.utf8.count),
                  name.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7f }) else {
                throw source.error("VM name '\(name)' must be 1 to \(MobileNodeIdentifier.maximumIdentifierLength) octets without spaces or control characters", at: node)
            }
            nai = name
        }
        let addressNode = try entry.required("address")
        let (address, prefixLength) = try source.addressWithPrefix(addressNode, key: "address")
        let prefix = IPv4Prefix(address: address, length: prefixLength)
        if let role = prefix.reservedRole(of: address) {
            throw source.error("VM \(mac) address \(address) is the \(role) address of \(prefix)", at: addressNode)
        }
        let gatewayNode = try entry.required("gateway")
        let gateway = try source.unicastAddress(gatewayNode, key: "gateway")
        guard prefix.contains(gateway) else {
            throw source.error("VM \(mac) gateway \(gateway) is outside its home subnet \(prefix)", at: gatewayNode)
        }
        if let role = prefix.reservedRole(of: gateway) {
            throw source.error("VM \(mac) gateway \(gateway) is the \(role) address of \(prefix)", at: gatewayNode)
        }
        guard gateway != address else {
            throw source.error("VM \(mac) gateway \(gateway) is the VM's own address", at: gatewayNode)
        }
        let greKey = try entry.optional("gre-key").map { node throws(ConfigurationError) in
            try source.integer(node, key: "gre-key", in: 0...UInt32.max, hex: true)
        }
        var allowedSites: Set<String>?
        if let sitesNode = entry.optional("sites") {
            let names = try source.list(sitesNode, key: "sites")
            guard !names.isEmpty else {
                throw source.error("VM \(mac) 'sites' is empty, which would allow no site; leave it out to allow every site", at: sitesNode)
            }
            var allowed: Set<String> = []
            for nameNode in names {
                let name = try source.text(nameNode, key: "sites")
                guard knownSites.contains(name) else {
                    throw source.error("VM \(mac) allows site '\(name)', which is not defined in 'sites'", at: nameNode)
                }
                guard allowed.insert(name).inserted else {
                    throw source.error("VM \(mac) lists site '\(name)' twice", at: nameNode)
                }
            }
            allowedSites = allowed
        }
        let policy = VMPolicy(mac: mac, nai: nai, address: address, prefixLength: prefixLength, gateway: gateway,
                              greKey: greKey, allowedSites: allowedSites)
        return Entry(value: policy, line: entry.line)
    }
}
