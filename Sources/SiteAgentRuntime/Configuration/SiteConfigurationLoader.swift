import AgentConfiguration
import GLMWire
import SiteAgentCore
import Yams

/// Turns the text of a site agent's configuration file into a
/// ``SiteAgentConfiguration``, refusing it at the first problem with its line.
struct SiteConfigurationLoader {
    let source: ConfigurationSource

    init(path: String) {
        self.source = ConfigurationSource(path: path)
    }

    static let topLevelKeys = ["address", "port", "bridges", "uplinks", "tunnel", "control-socket", "metrics", "log-level", "log-format",
                               "timers", "home-agents", "home-agent"]
    static let homeAgentKeys = ["name", "address", "port", "spi", "algorithm", "key", "key-file", "vms"]

    func load(yaml: String) throws(ConfigurationError) -> SiteAgentConfiguration {
        let top = try source.topLevel(yaml, allowed: Self.topLevelKeys)
        let address = try source.unicastAddress(top.required("address"), key: "address")
        let portNode = top.optional("port")
        let listenPort = try source.port(portNode, key: "port", default: SiteAgentConfiguration.defaultListenPort)
        let bridges = try self.bridges(top.required("bridges"))
        let uplinks = try top.optional("uplinks").map { node throws(ConfigurationError) in
            try self.uplinks(node, bridges: bridges)
        }

        let tunnel = try source.tunnel(top.optional("tunnel"), interface: SiteAgentConfiguration.defaultTunnelInterface,
                                       port: SiteAgentConfiguration.defaultTunnelPort,
                                       mtu: SiteAgentConfiguration.defaultTunnelMTU,
                                       signalingPort: listenPort, signalingPortNode: portNode)
        if bridges.contains(tunnel.interface), let node = tunnel.interfaceNode {
            throw source.error("the tunnel interface cannot be the bridge '\(tunnel.interface)'", at: node)
        }

        let controlSocket = try top.optional("control-socket").map(source.controlSocketPath)
            ?? SiteAgentConfiguration.defaultControlSocket
        let metrics = try top.optional("metrics").map { node throws(ConfigurationError) in
            try source.metricsEndpoint(node, example: "127.0.0.1:9437")
        } ?? SiteAgentConfiguration.defaultMetrics
        let logLevel = try top.optional("log-level").map(source.logLevel) ?? SiteAgentConfiguration.defaultLogLevel
        let logFormat = try top.optional("log-format").map(source.logFormat) ?? .text
        let timers = try top.optional("timers").map(self.timers) ?? SiteAgentTimers()

        let homeAgents = try self.homeAgents(top.required("home-agents"), siteAddress: address)
        var localHomeAgent: String?
        if let node = top.optional("home-agent") {
            let name = try source.text(node, key: "home-agent")
            guard homeAgents.contains(where: { $0.name == name }) else {
                throw source.error("'home-agent' names '\(name)', which is not in 'home-agents' (\(homeAgents.map(\.name).joined(separator: ", ")))",
                                   at: node)
            }
            localHomeAgent = name
        }
        let policy: SiteAgentPolicy
        do {
            policy = try SiteAgentPolicy(address: address, homeAgents: homeAgents, localHomeAgent: localHomeAgent, timers: timers)
        } catch {
            // The entries were checked one against another already; this is a safety net.
            throw source.error(error.reason, line: 0)
        }
        var configuration = SiteAgentConfiguration(
            policy: policy, listenPort: listenPort, bridges: bridges, uplinks: uplinks, tunnelInterface: tunnel.interface,
            tunnelPort: tunnel.port, tunnelMTU: tunnel.mtu, controlSocket: controlSocket, metrics: metrics,
            logLevel: logLevel, logFormat: logFormat)
        configuration.tunnelImplementation = tunnel.implementation
        return configuration
    }

    private func bridges(_ node: Node) throws(ConfigurationError) -> [String] {
        let nodes = try source.list(node, key: "bridges")
        guard !nodes.isEmpty else {
            throw source.error("'bridges' lists no bridge: name the host bridges the VMs' taps are on", at: node)
        }
        var bridges: [String] = []
        for entry in nodes {
            let name = try source.interfaceName(entry, key: "bridges")
            guard !bridges.contains(name) else { throw source.error("bridge '\(name)' is listed twice", at: entry) }
            bridges.append(name)
        }
        return bridges
    }

    private func uplinks(_ node: Node, bridges: [String]) throws(ConfigurationError) -> Set<String> {
        var uplinks: Set<String> = []
        for entry in try source.list(node, key: "uplinks") {
            let name = try source.interfaceName(entry, key: "uplinks")
            guard !bridges.contains(name) else {
                throw source.error("uplink '\(name)' is one of the bridges; name the port that joins a bridge to the LAN", at: entry)
            }
            guard uplinks.insert(name).inserted else { throw source.error("uplink '\(name)' is listed twice", at: entry) }
        }
        return uplinks
    }

    // MARK: Home agents

    private func homeAgents(_ node: Node, siteAddress: IPv4Address) throws(ConfigurationError) -> [HomeAgentPeer] {
        let entries = try source.list(node, key: "home-agents")
        guard !entries.isEmpty else {
            throw source.error("'home-agents' lists no home agent: at least one is needed to register VMs with", at: node)
        }
        var peers: [HomeAgentPeer] = []
        var names: [String: Int] = [:]
        var addresses: [IPv4Address: Int] = [:]
        var spis: [UInt32: Int] = [:]
        var vmLines: [MACAddress: Int] = [:]
        for entry in entries {
            let section = try ConfigurationSection(entry, name: "a 'home-agents' entry", allowed: Self.homeAgentKeys,
                                                   source: source)
            let nameNode = try section.required("name")
            let name = try source.text(nameNode, key: "name")
            guard ConfigurationSource.isValidPeerName(name) else {
                throw source.error("home agent name '\(name)' must be 1 to 64 letters, digits, '.', '_' or '-'", at: nameNode)
            }
            if let first = names.updateValue(source.line(of: nameNode), forKey: name) {
                throw source.error("home agent name '\(name)' is used twice (first at line \(first))", at: nameNode)
            }
            let addressNode = try section.required("address")
            let address = try source.unicastAddress(addressNode, key: "address")
            guard address != siteAddress else {
                throw source.error("home agent '\(name)' has this site agent's own address \(address)", at: addressNode)
            }
            if let first = addresses.updateValue(source.line(of: addressNode), forKey: address) {
                throw source.error("home agent '\(name)' has the address \(address) of another (at line \(first))", at: addressNode)
            }
            let port = try source.port(section.optional("port"), key: "port", default: SiteAgentConfiguration.defaultListenPort)
            let association = try source.association(of: section, peer: "home agent '\(name)'")
            let spiNode = try section.required("spi")
            if let first = spis.updateValue(source.line(of: spiNode), forKey: association.spi) {
                throw source.error("home agent '\(name)' has the SPI \(association.spi) of another (at line \(first))", at: spiNode)
            }
            var vms: Set<MACAddress> = []
            if let vmsNode = section.optional("vms") {
                for vmNode in try source.list(vmsNode, key: "vms") {
                    let mac = try source.mac(vmNode, key: "vms")
                    if let first = vmLines.updateValue(source.line(of: vmNode), forKey: mac) {
                        throw source.error("VM \(mac) is listed twice (first at line \(first)); one home agent anchors a VM", at: vmNode)
                    }
                    vms.insert(mac)
                }
            }
            peers.append(HomeAgentPeer(name: name, address: address, port: port, association: association, vms: vms))
        }
        return peers
    }
}
