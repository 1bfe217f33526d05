import AgentConfiguration
import GLMWire
import HomeAgentCore
import Yams

/// The `store` key and the `cluster` section: SQLite on this host (the default), or
/// etcd shared by the members of a cluster.
extension ConfigurationLoader {
    static let clusterKeys = ["name", "member", "members", "peer-port", "key", "key-file", "service-interface",
                              "service-prefix-length", "etcd", "timers"]
    static let memberKeys = ["name", "address"]
    static let etcdKeys = ["endpoints", "ca-file", "cert-file", "key-file"]
    static let clusterTimerKeys = ["lease-ttl-s", "renew-interval-ms", "heartbeat-interval-ms", "silence-limit-ms",
                                   "serve-window-ms", "margin-ms"]

    /// The cluster settings when `store` is `etcd`; nil for `sqlite`. Each is refused
    /// without the other.
    func cluster(store storeNode: Node?, cluster clusterNode: Node?, address: IPv4Address,
                 homeInterface: String) throws(ConfigurationError) -> ClusterSettings? {
        let store = try storeNode.map { node throws(ConfigurationError) in try source.text(node, key: "store") } ?? "sqlite"
        switch (store, clusterNode) {
        case ("sqlite", nil):
            return nil
        case ("sqlite", let node?):
            throw source.error("'cluster' needs 'store: etcd' (the members share their bindings in etcd)", at: node)
        case ("etcd", nil):
            throw source.error("'store: etcd' needs a 'cluster' section (name, member, members, etcd endpoints)", at: storeNode!)
        case ("etcd", let node?):
            return try cluster(node, address: address, homeInterface: homeInterface)
        default:
            throw source.error("'store' must be sqlite or etcd, not '\(store)'", at: storeNode!)
        }
    }

    private func cluster(_ node: Node, address: IPv4Address, homeInterface: String) throws(ConfigurationError) -> ClusterSettings {
        let section = try ConfigurationSection(node, name: "'cluster'", allowed: Self.clusterKeys, source: source)
        let nameNode = try section.required("name")
        let name = try source.text(nameNode, key: "name")
        guard ConfigurationSource.isValidPeerName(name) else {
            throw source.error("cluster name '\(name)' must be 1 to 64 letters, digits, '.', '_' or '-'", at: nameNode)
        }
        let membersNode = try section.required("members")
        var members: [ClusterSettings.Member] = []
        for entryNode in try source.list(membersNode, key: "members") {
            let entry = try ConfigurationSection(entryNode, name: "a 'members' entry", allowed: Self.memberKeys, source: source)
            let memberNameNode = try entry.required("name")
            let memberName = try source.text(memberNameNode, key: "name")
            guard (try? MemberHeartbeat.validateMemberName(memberName)) != nil else {
                throw source.error("member name '\(memberName)' must be 1 to 63 letters, digits, '.', '_' or '-'", at: memberNameNode)
            }
            let addressNode = try entry.required("address")
            let memberAddress = try source.unicastAddress(addressNode, key: "address")
            if memberAddress == address {
                throw source.error("member '\(memberName)' has the service address \(address) as its own; give each member an address of its own", at: addressNode)
            }
            if members.contains(where: { $0.name == memberName }) {
                throw source.error("member '\(memberName)' is listed twice", at: memberNameNode)
            }
            if let other = members.first(where: { $0.address == memberAddress }) {
                throw source.error("members '\(other.name)' and '\(memberName)' have the same address \(memberAddress)", at: addressNode)
            }
            members.append(ClusterSettings.Member(name: memberName, address: memberAddress))
        }
        guard !members.isEmpty else {
            throw source.error("'members' lists no member: list every member of the cluster, this one included", at: membersNode)
        }
        let memberNode = try section.required("member")
        let member = try source.text(memberNode, key: "member")
        guard members.contains(where: { $0.name == member }) else {
            throw source.error("member '\(member)' is not in 'members' (\(members.map(\.name).joined(separator: ", ")))", at: memberNode)
        }
        let peerPort = try source.port(section.optional("peer-port"), key: "peer-port", default: ClusterSettings.defaultPeerPort)
        let key = try source.key(of: section, peer: "cluster '\(name)'")
        let serviceInterfaceNode = try section.required("service-interface")
        let serviceInterface = try source.interfaceName(serviceInterfaceNode, key: "service-interface")
        guard serviceInterface != homeInterface else {
            throw source.error("the service interface '\(serviceInterface)' cannot be the home interface: the service address belongs on the side the sites reach", at: serviceInterfaceNode)
        }
        let prefixLength = try section.optional("service-prefix-length").map { node throws(ConfigurationError) in
            try source.integer(node, key: "service-prefix-length", in: UInt8(1)...32)
        } ?? 32
        let etcd = try etcd(section.required("etcd"))
        var settings = ClusterSettings(
            name: name, member: member, members: members, peerPort: peerPort, key: key,
            serviceInterface: serviceInterface, servicePrefixLength: prefixLength, etcd: etcd,
            leaseTTL: ClusterSettings.defaultLeaseTTL, renewInterval: ClusterSettings.defaultRenewInterval,
            heartbeatInterval: ClusterSettings.defaultHeartbeatInterval, timing: ClusterMembership.Timing())
        if let timersNode = section.optional("timers") {
            try clusterTimers(timersNode, into: &settings)
        }
        return settings
    }

    private func etcd(_ node: Node) throws(ConfigurationError) -> ClusterSettings.Etcd {
        let section = try ConfigurationSection(node, name: "'etcd'", allowed: Self.etcdKeys, source: source)
        let endpointsNode = try section.required("endpoints")
        var endpoints: [String] = []
        for endpointNode in try source.list(endpointsNode, key: "endpoints") {
            let text = try source.text(endpointNode, key: "endpoints")
            guard let url = URLParts(text) else {
                throw source.error("etcd endpoint '\(text)' must be http://HOST:PORT or https://HOST:PORT", at: endpointNode)
            }
            endpoints.append(url.normalized)
        }
        guard !endpoints.isEmpty else {
            throw source.error("'endpoints' lists no etcd member", at: endpointsNode)
        }
        let secure = endpoints.filter { $0.hasPrefix("https://") }
        guard secure.isEmpty || secure.count == endpoints.count else {
            throw source.error("the etcd endpoints mix http and https; a cluster's members speak one", at: endpointsNode)
        }
        var files: [String?] = []
        for key in ["ca-file", "cert-file", "key-file"] {
            guard let fileNode = section.optional(key) else {
                files.append(nil)
                continue
            }
            let path = try source.filePath(fileNode, key: key)
            do {
                _ = try ConfigurationFile.readBytes(path)
            } catch {
                throw source.error("cannot read \(key) \(path): \(error.reason)", at: fileNode)
            }
            if key == "key-file" {
                try source.requirePrivate(path, named: key, at: fileNode)
            }
            files.append(path)
        }
        if !secure.isEmpty, files[0] == nil {
            throw source.error("https endpoints need 'ca-file' (the CA that signed etcd's certificates)", at: endpointsNode)
        }
        if secure.isEmpty, files.contains(where: { $0 != nil }) {
            throw source.error("TLS files are given but the endpoints are http; use https:// endpoints", line: section.line)
        }
        if (files[1] == nil) != (files[2] == nil) {
            throw source.error("'cert-file' and 'key-file' go together (the client certificate and its key)", line: section.line)
        }
        return ClusterSettings.Etcd(endpoints: endpoints, caFile: files[0], certificateFile: files[1], keyFile: files[2])
    }

    private func clusterTimers(_ node: Node, into settings: inout ClusterSettings) throws(ConfigurationError) {
        let section = try ConfigurationSection(node, name: "the cluster's 'timers'", allowed: Self.clusterTimerKeys, source: source)
        func milliseconds(_ key: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Double? {
            try section.optional(key).map { node throws(ConfigurationError) in
                Double(try source.integer(node, key: key, in: range, unit: "milliseconds")) / 1000
            }
        }
        if let node = section.optional("lease-ttl-s") {
            settings.leaseTTL = try source.integer(node, key: "lease-ttl-s", in: 1...3600, unit: "seconds")
        }
        settings.renewInterval = try milliseconds("renew-interval-ms", 10...10_000) ?? settings.renewInterval
        settings.heartbeatInterval = try milliseconds("heartbeat-interval-ms", 5...10_000) ?? settings.heartbeatInterval
        settings.timing.silenceLimit = try milliseconds("silence-limit-ms", 20...60_000) ?? settings.timing.silenceLimit
        settings.timing.serveWindow = try milliseconds("serve-window-ms", 20...60_000) ?? settings.timing.serveWindow
        settings.timing.margin = try milliseconds("margin-ms", 1...10_000) ?? settings.timing.margin
        // A member must be able to renew twice within its serve window, and be heard
        // several times within the silence limit, or it flaps.
        if settings.timing.serveWindow < 2 * settings.renewInterval {
            throw source.error("'serve-window-ms' must be at least twice 'renew-interval-ms'", line: section.line)
        }
        if settings.timing.silenceLimit < 3 * settings.heartbeatInterval {
            throw source.error("'silence-limit-ms' must be at least three times 'heartbeat-interval-ms'", line: section.line)
        }
        if settings.timing.serveWindow >= Double(settings.leaseTTL) {
            throw source.error("'serve-window-ms' must be shorter than 'lease-ttl-s'", line: section.line)
        }
    }
}

/// An etcd endpoint's URL: scheme, host and port, nothing else.
struct URLParts {
    var scheme: String
    var host: String
    var port: UInt16

    init?(_ text: String) {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        let parts = trimmed.split(separator: "://", maxSplits: 1)
        guard parts.count == 2, ["http", "https"].contains(parts[0]) else { return nil }
        guard let colon = parts[1].lastIndex(of: ":") else { return nil }
        let host = parts[1][..<colon]
        guard !host.isEmpty, !host.contains("/"), !host.contains("@"),
              let port = UInt16(parts[1][parts[1].index(after: colon)...]), port > 0 else { return nil }
        scheme = String(parts[0])
        self.host = String(host)
        self.port = port
    }

    var normalized: String { "\(scheme)://\(host):\(port)" }
}
