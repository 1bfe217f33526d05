import AgentConfiguration
import ConfigurationTestSupport
import Foundation
import HomeAgentCore
import HomeAgentRuntime
import Testing

private let key = ConfigurationSamples.key16

/// A valid `store: etcd` with its `cluster` section, appended to
/// ``ConfigurationSamples/minimal`` from line 12 on: 12 store, 13 cluster, 14 name,
/// (a section's own problems are at its first key's line, 14),
/// 15 member, 16 members, 17-18 the members, 19 key, 20 service-interface, 21 etcd.
private let cluster = """
    store: etcd
    cluster:
      name: site-a
      member: ha1
      members:
        - { name: ha1, address: 198.18.0.21 }
        - { name: ha2, address: 198.18.0.22 }
      key: \(key)
      service-interface: wan0
      etcd: { endpoints: [http://10.0.0.31:2379, "http://10.0.0.32:2379/"] }
    """

/// `cluster` with its lines (numbered as in the file, from 12) replaced.
private func edited(_ replacements: [Int: String?], appending tail: String = "") -> String {
    var lines = cluster.split(separator: "\n", omittingEmptySubsequences: false).map { Optional(String($0)) }
    for (line, replacement) in replacements { lines[line - 12] = replacement }
    return lines.compactMap { $0 }.joined(separator: "\n") + (tail.isEmpty ? "" : "\n" + tail)
}

private let badClusters: [BadFile] = [
    BadFile("etcd without a cluster", appending: "store: etcd", line: 12, "'store: etcd' needs a 'cluster' section"),
    BadFile("a cluster without etcd", appending: edited([12: nil]), line: 13, "'cluster' needs 'store: etcd'"),
    BadFile("an unknown store", appending: edited([12: "store: redis"]), line: 12, "'store' must be sqlite or etcd, not 'redis'"),
    BadFile("a member not in members", appending: edited([15: "  member: ha3"]), line: 15,
            "member 'ha3' is not in 'members' (ha1, ha2)"),
    BadFile("a member listed twice", appending: edited([18: "    - { name: ha1, address: 198.18.0.23 }"]), line: 18,
            "member 'ha1' is listed twice"),
    BadFile("two members at one address", appending: edited([18: "    - { name: ha2, address: 198.18.0.21 }"]), line: 18,
            "members 'ha1' and 'ha2' have the same address 198.18.0.21"),
    BadFile("a member at the service address", appending: edited([18: "    - { name: ha2, address: 198.18.0.2 }"]), line: 18,
            "member 'ha2' has the service address 198.18.0.2 as its own"),
    BadFile("a member name with a space", appending: edited([18: "    - { name: ha 2, address: 198.18.0.22 }"]), line: 18,
            "member name 'ha 2' must be 1 to 63 letters, digits"),
    BadFile("a cluster without a key", appending: edited([19: nil]), line: 14, "cluster 'site-a' needs a 'key' or a 'key-file'"),
    BadFile("the service interface on the home LAN", appending: edited([20: "  service-interface: br-home"]), line: 20,
            "the service interface 'br-home' cannot be the home interface"),
    BadFile("an endpoint that is not a URL", appending: edited([21: "  etcd: { endpoints: [etcd://10.0.0.31:2379] }"]), line: 21,
            "etcd endpoint 'etcd://10.0.0.31:2379' must be http://HOST:PORT or https://HOST:PORT"),
    BadFile("an endpoint without a port", appending: edited([21: "  etcd: { endpoints: [http://10.0.0.31] }"]), line: 21,
            "must be http://HOST:PORT"),
    BadFile("http and https mixed", appending: edited([21: "  etcd: { endpoints: [http://a:2379, https://b:2379], ca-file: /etc/hostname }"]),
            line: 21, "the etcd endpoints mix http and https"),
    BadFile("https without the CA", appending: edited([21: "  etcd: { endpoints: [https://a:2379] }"]), line: 21,
            "https endpoints need 'ca-file'"),
    BadFile("an unreadable CA file", appending: edited([21: "  etcd: { endpoints: [https://a:2379], ca-file: /nonexistent/ca.crt }"]),
            line: 21, "cannot read ca-file /nonexistent/ca.crt"),
    BadFile("no endpoint", appending: edited([21: "  etcd: { endpoints: [] }"]), line: 21, "'endpoints' lists no etcd member"),
    BadFile("a serve window shorter than two renewals", appending: edited([:], appending: "  timers: { renew-interval-ms: 200, serve-window-ms: 300 }"),
            line: 22, "'serve-window-ms' must be at least twice 'renew-interval-ms'"),
    BadFile("a silence limit under three heartbeats", appending: edited([:], appending: "  timers: { heartbeat-interval-ms: 100 }"),
            line: 22, "'silence-limit-ms' must be at least three times 'heartbeat-interval-ms'"),
    BadFile("a serve window as long as the lease", appending: edited([:], appending: "  timers: { lease-ttl-s: 1, serve-window-ms: 1000 }"),
            line: 22, "'serve-window-ms' must be shorter than 'lease-ttl-s'"),
    BadFile("a misspelt cluster key", appending: edited([20: "  service-interfac: wan0"]), line: 20,
            "unknown key 'service-interfac' in 'cluster'", "did you mean 'service-interface'?"),
]

@Suite("Configuration: a cluster on etcd")
struct ClusterConfigurationTests {
    @Test("A bad cluster section is refused at the right line with a clear reason", arguments: badClusters)
    func refused(_ file: BadFile) {
        file.expectRefused(path: "/etc/glm/home-agent.yaml") { _ = try HomeAgentConfiguration(yaml: $0, path: $1) }
    }

    @Test("A valid cluster section: its values, and the defaults of what it leaves out")
    func valid() throws {
        let configuration = try HomeAgentConfiguration(yaml: ConfigurationSamples.minimal + cluster, path: "/etc/glm/home-agent.yaml")
        let settings = try #require(configuration.cluster)
        #expect(settings.name == "site-a" && settings.member == "ha1")
        #expect(settings.members.map(\.name) == ["ha1", "ha2"] && settings.peers.map(\.name) == ["ha2"])
        #expect(settings.me.address.description == "198.18.0.21")
        #expect(settings.etcd.endpoints == ["http://10.0.0.31:2379", "http://10.0.0.32:2379"])
        #expect(settings.peerPort == 5438 && settings.servicePrefixLength == 32 && settings.serviceInterface == "wan0")
        #expect(settings.leaseTTL == 5 && settings.renewInterval == 0.1 && settings.heartbeatInterval == 0.05)
        #expect(settings.timing == ClusterMembership.Timing(serveWindow: 0.3, silenceLimit: 0.2, margin: 0.1))
        #expect(settings.key.count == 16)
        // Without `store`, a home agent keeps its SQLite file.
        #expect(try HomeAgentConfiguration(yaml: ConfigurationSamples.minimal, path: "t.yaml").cluster == nil)
    }

    @Test("The cluster's key file and etcd's client key are refused when other users may read them, accepted at 0640")
    func keyFileModes() throws {
        let directory = try TemporaryDirectory()
        let clusterKey = directory.path + "/cluster.key"
        let etcdKey = directory.path + "/etcd-client.key"
        for name in ["etcd-ca.crt", "etcd-client.crt"] {
            try "a certificate\n".write(toFile: directory.path + "/" + name, atomically: true, encoding: .utf8)
        }
        let yaml = ConfigurationSamples.minimal + edited([
            19: "  key-file: cluster.key",
            21: "  etcd: { endpoints: [https://10.0.0.31:2379], ca-file: etcd-ca.crt, cert-file: etcd-client.crt, key-file: etcd-client.key }",
        ])
        let path = directory.path + "/home-agent.yaml"
        func refusal() throws -> ConfigurationError {
            try #require(throws: ConfigurationError.self) { try HomeAgentConfiguration(yaml: yaml, path: path) }
        }

        try SecretFile.write(key + "\n", to: clusterKey, mode: 0o644)
        try SecretFile.write("a private key\n", to: etcdKey)
        let cluster = try refusal()
        #expect(cluster.line == 19)
        #expect(cluster.reason == "key file \(clusterKey) can be read by any user (mode 0644); chmod 600 \(clusterKey) (or 640 to let its group read it)")

        try SecretFile.write(key + "\n", to: clusterKey, mode: 0o640)
        try SecretFile.write("a private key\n", to: etcdKey, mode: 0o606)
        let etcd = try refusal()
        #expect(etcd.line == 21)
        #expect(etcd.reason == "key-file \(etcdKey) can be read and written by any user (mode 0606); chmod 600 \(etcdKey) (or 640 to let its group read it)")

        try SecretFile.write("a private key\n", to: etcdKey, mode: 0o640)
        let settings = try #require(try HomeAgentConfiguration(yaml: yaml, path: path).cluster)
        #expect(settings.etcd.keyFile == etcdKey)
    }
}
