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
                               "metrics", "log-level", "timers", "sites", "vms"]
    static let tunnelKeys = ["interface", "port", "mtu"]
    static let siteKeys = ["name", "address", "spi", "algorithm", "key", "key-file"]
    static let vmKeys = ["mac", "name", "address", "gateway", "gre-key", "sites"]

    func load(yaml: String) throws(ConfigurationError) -> HomeAgentConfiguration {
        let root = try compose(yaml)
        let top = try ConfigurationSection(root, name: "the top level", allowed: Self.topLevelKeys, source: source,
                                           wholeFile: true)

        let address = try source.unicastAddress(top.required("address"), key: "address")
        let listenPort = try top.optional("port").map { node throws(ConfigurationError) in
            try source.port(node, key: "port")
        } ?? HomeAgentConfiguration.defaultListenPort
        let homeInterface = try source.interfaceName(top.required("home-interface"), key: "home-interface")

        var tunnelInterface = HomeAgentConfiguration.defaultTunnelInterface
        var tunnelPort = HomeAgentConfiguration.defaultTunnelPort
        var tunnelPortNode: Node?
        var tunnelMTU = HomeAgentConfiguration.defaultTunnelMTU
        if let node = top.optional("tunnel") {
            let tunnel = try ConfigurationSection(node, name: "'tunnel'", allowed: Self.tunnelKeys, source: source)
            if let name = tunnel.optional("interface") {
                tunnelInterface = try source.interfaceName(name, key: "interface")
                if tunnelInterface == homeInterface {
                    throw source.error("the tunnel interface cannot be the home interface '\(homeInterface)'", at: name)
                }
            }
            if let port = tunnel.optional("port") {
                tunnelPort = try source.port(port, key: "port")
                tunnelPortNode = port
            }
            if let mtu = tunnel.optional("mtu") {
                tunnelMTU = try source.integer(mtu, key: "mtu", in: Self.tunnelMTURange, unit: "octets")
            }
        }
        if tunnelPort == listenPort, let node = tunnelPortNode ?? top.optional("port") {
            throw source.error("the tunnel port and the signaling port are both \(listenPort); they must differ", at: node)
        }

        let database = try top.optional("database").map { node throws(ConfigurationError) in
            try source.filePath(node, key: "database")
        } ?? HomeAgentConfiguration.defaultDatabase
        let controlSocket = try top.optional("control-socket").map(controlSocketPath)
            ?? HomeAgentConfiguration.defaultControlSocket
        let metrics = try top.optional("metrics").map(metricsEndpoint) ?? HomeAgentConfiguration.defaultMetrics
        let logLevel = try top.optional("log-level").map(self.logLevel) ?? HomeAgentConfiguration.defaultLogLevel
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
        return HomeAgentConfiguration(policy: policy, listenPort: listenPort, tunnelPort: tunnelPort,
                                      homeInterface: homeInterface, tunnelInterface: tunnelInterface,
                                      tunnelMTU: tunnelMTU, database: database, controlSocket: controlSocket,
                                      metrics: metrics, logLevel: logLevel)
    }

    /// 576 octets is the least every IPv4 host must accept (RFC 791); 9000 a jumbo frame.
    static let tunnelMTURange = 576...9000

    // MARK: YAML

    /// The document's root node; YAML syntax errors are reported at the line libyaml
    /// found them.
    private func compose(_ yaml: String) throws(ConfigurationError) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error, in: yaml)
        } catch {
            throw source.error("not YAML: \(error)", line: 0)
        }
        guard let root else { throw source.error("the file is empty", line: 0) }
        return root
    }

    private func syntaxError(_ error: YamlError, in yaml: String) -> ConfigurationError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var reason = "YAML syntax: \(problem)"
            if let context { reason += " (\(context.text) at line \(context.mark.line))" }
            return source.error(reason, line: mark.line)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in 1 + yaml.prefix(offset).reduce(0) { $1 == "\n" ? $0 + 1 : $0 } } ?? 0
            return source.error("YAML syntax: \(problem)", line: line)
        default:
            return source.error("YAML: \(error)", line: 0)
        }
    }

    // MARK: Top-level values

    /// `sun_path` holds 108 octets with the terminating NUL.
    static let maximumSocketPathLength = 107

    private func controlSocketPath(_ node: Node) throws(ConfigurationError) -> String {
        let path = try source.filePath(node, key: "control-socket")
        guard path.utf8.count <= Self.maximumSocketPathLength else {
            throw source.error("'control-socket' path is \(path.utf8.count) octets; a Unix socket path holds at most \(Self.maximumSocketPathLength)", at: node)
        }
        return path
    }

    /// `host:port`, `[v6-address]:port`, or `off`.
    private func metricsEndpoint(_ node: Node) throws(ConfigurationError) -> HomeAgentConfiguration.MetricsEndpoint? {
        let text = try source.text(node, key: "metrics")
        if text == "off" { return nil }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            throw source.error("'metrics' must be host:port (such as 127.0.0.1:9436) or off, not '\(text)'", at: node)
        }
        let hostValid = !host.isEmpty && host.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || ".-:".unicodeScalars.contains($0))
        }
        guard hostValid else {
            throw source.error("'metrics' host must be an address or a host name, not '\(host)'", at: node)
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText), port > 0 else {
            throw source.error("'metrics' port must be from 1 to 65535, not '\(portText)'", at: node)
        }
        return HomeAgentConfiguration.MetricsEndpoint(host: String(host), port: port)
    }

    private func logLevel(_ node: Node) throws(ConfigurationError) -> Logger.Level {
        let text = try source.text(node, key: "log-level")
        guard let level = Logger.Level(rawValue: text) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw source.error("'log-level' must be one of \(levels), not '\(text)'", at: node)
        }
        return level
    }

    // MARK: Sites and VMs

    /// A parsed list entry and the line it starts at.
    struct Entry<Value> {
        var value: Value
        var line: Int
    }

    /// Characters of a site name: it appears in logs, metric labels and VM entries.
    static func isValidSiteName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "._-".unicodeScalars.contains($0))
        }
    }

    private func site(_ node: Node, homeAgent: IPv4Address) throws(ConfigurationError) -> Entry<SitePolicy> {
        let entry = try ConfigurationSection(node, name: "a 'sites' entry", allowed: Self.siteKeys, source: source)
        let nameNode = try entry.required("name")
        let name = try source.text(nameNode, key: "name")
        guard Self.isValidSiteName(name) else {
            throw source.error("site name '\(name)' must be 1 to 64 letters, digits, '.', '_' or '-'", at: nameNode)
        }
        let addressNode = try entry.required("address")
        let address = try source.unicastAddress(addressNode, key: "address")
        guard address != homeAgent else {
            throw source.error("site '\(name)' has the home agent's own address \(address)", at: addressNode)
        }
        let spiNode = try entry.required("spi")
        let spi = try source.integer(spiNode, key: "spi", in: 0...UInt32.max, hex: true)
        guard spi >= SecurityAssociation.smallestSPI else {
            throw source.error("'spi' \(spi) is reserved (RFC 4285 §5 reserves 0-255); use \(SecurityAssociation.smallestSPI) or more", at: spiNode)
        }
        var algorithm = AuthenticationAlgorithm.hmacSHA256_128
        if let node = entry.optional("algorithm") {
            let text = try source.text(node, key: "algorithm")
            guard let chosen = AuthenticationAlgorithm(rawValue: text) else {
                let names = AuthenticationAlgorithm.allCases.map(\.rawValue).joined(separator: " or ")
                throw source.error("'algorithm' must be \(names), not '\(text)'", at: node)
            }
            algorithm = chosen
        }
        let key = try key(of: entry, site: name)
        guard let association = SecurityAssociation(spi: spi, algorithm: algorithm, key: key) else {
            throw source.error("site '\(name)' has no usable security association", line: entry.line)
        }
        return Entry(value: SitePolicy(name: name, address: address, association: association), line: entry.line)
    }

    /// The key, given inline as `key` or in a file as `key-file`; hex either way.
    private func key(of entry: ConfigurationSection, site: String) throws(ConfigurationError) -> [UInt8] {
        let inline = entry.optional("key")
        let file = entry.optional("key-file")
        let key: [UInt8]
        let node: Node
        switch (inline, file) {
        case (let inline?, nil):
            node = inline
            let text = try source.text(inline, key: "key")
            guard let bytes = [UInt8](hexString: text) else {
                throw source.error("'key' must be hex, two digits an octet (such as the output of openssl rand -hex 32)", at: inline)
            }
            key = bytes
        case (nil, let file?):
            node = file
            let path = try source.filePath(file, key: "key-file")
            let text: String
            do {
                text = try ConfigurationFile.readText(path)
            } catch {
                throw source.error("cannot read key file \(path): \(error.reason)", at: file)
            }
            let trimmed = text.unicodeScalars.drop { $0.properties.isWhitespace }.reversed().drop { $0.properties.isWhitespace }
            guard let bytes = [UInt8](hexString: String(String.UnicodeScalarView(trimmed.reversed()))) else {
                throw source.error("key file \(path) must hold the key in hex, two digits an octet", at: file)
            }
            key = bytes
        case (_?, let file?):
            throw source.error("site '\(site)' gives both 'key' and 'key-file'; give one", at: file)
        case (nil, nil):
            throw source.error("site '\(site)' needs a 'key' or a 'key-file'", line: entry.line)
        }
        guard key.count >= SecurityAssociation.minimumKeyLength else {
            throw source.error("site '\(site)' key is \(key.count) octets; at least \(SecurityAssociation.minimumKeyLength) (128 bits) are required", at: node)
        }
        return key
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
