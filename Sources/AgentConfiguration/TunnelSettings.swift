import Yams

/// The `tunnel` section both agents have: the TUN device's name and MTU, the UDP port
/// of tunnelled traffic and which data plane moves it, with the nodes they came from for
/// the caller's own checks.
package struct TunnelSettings {
    package var interface: String
    package var port: UInt16
    package var mtu: Int
    package var implementation: TunnelImplementation = .auto
    /// Where `interface` and `port` were given; nil when defaulted.
    package var interfaceNode: Node?
    package var portNode: Node?
}

extension ConfigurationSource {
    static let tunnelKeys = ["interface", "port", "mtu", "implementation"]

    /// The `tunnel` section (nil when absent), each key defaulting to the value given; a
    /// tunnel port equal to the signaling port is refused at whichever of the two was
    /// written (`signalingPortNode`, nil when defaulted).
    package func tunnel(_ node: Node?, interface: String, port: UInt16, mtu: Int, signalingPort: UInt16,
                        signalingPortNode: Node?) throws(ConfigurationError) -> TunnelSettings {
        var settings = TunnelSettings(interface: interface, port: port, mtu: mtu)
        if let node {
            try read(node, into: &settings)
        }
        if settings.port == signalingPort, let node = settings.portNode ?? signalingPortNode {
            throw error("the tunnel port and the signaling port are both \(signalingPort); they must differ", at: node)
        }
        return settings
    }

    private func read(_ node: Node, into settings: inout TunnelSettings) throws(ConfigurationError) {
        let tunnel = try ConfigurationSection(node, name: "'tunnel'", allowed: Self.tunnelKeys, source: self)
        if let name = tunnel.optional("interface") {
            settings.interface = try interfaceName(name, key: "interface")
            settings.interfaceNode = name
        }
        if let port = tunnel.optional("port") {
            settings.port = try self.port(port, key: "port")
            settings.portNode = port
        }
        if let mtu = tunnel.optional("mtu") {
            settings.mtu = try integer(mtu, key: "mtu", in: Self.tunnelMTURange, unit: "octets")
        }
        if let implementation = tunnel.optional("implementation") {
            let text = try self.text(implementation, key: "implementation")
            guard let value = TunnelImplementation(rawValue: text) else {
                let names = TunnelImplementation.allCases.map(\.rawValue).joined(separator: ", ")
                throw error("'implementation' must be one of \(names), not '\(text)'", at: implementation)
            }
            settings.implementation = value
        }
    }
}
