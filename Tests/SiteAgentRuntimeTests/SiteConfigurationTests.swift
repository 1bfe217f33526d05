import AgentConfiguration
import ConfigurationTestSupport
import Foundation
import GLMWire
import SiteAgentCore
import SiteAgentRuntime
import Testing

/// Configuration text shared by the tests; line numbers in ``siteBadFiles`` refer to
/// ``minimal``: 1 address, 2 bridges, 3 home-agents, 4-8 dc1 (name, address, spi, key,
/// vms); appended text starts at line 9.
enum SiteConfigurationSamples {
    static let key16 = "000102030405060708090a0b0c0d0e0f"
    static let minimal = """
        address: 198.18.1.2
        bridges: [br0]
        home-agents:
          - name: dc1
            address: 198.18.0.2
            spi: 256
            key: \(key16)
            vms: ["52:54:00:12:34:56"]

        """
}

extension BadConfigurationFile {
    /// ``SiteConfigurationSamples/minimal`` with lines replaced (nil deletes) and text appended.
    init(site name: String, replacing replacements: [Int: String?] = [:], appending tail: String = "",
         line: Int, _ reason: String...) {
        self.init(name, yaml: ConfigurationEdit.apply(to: SiteConfigurationSamples.minimal, replacing: replacements, appending: tail),
                  line: line, reason)
    }
}

private let key = SiteConfigurationSamples.key16
private let secondHomeAgent = """
      - name: dc2
        address: 198.18.8.2
        spi: 257
        key: \(key)
        vms: ["52:54:00:aa:00:01"]
    """

private let siteBadFiles: [BadConfigurationFile] = [
    BadConfigurationFile(site: "YAML syntax", replacing: [2: "bridges: [br0"], line: 3, "YAML syntax"),
    BadConfigurationFile(site: "an unknown top-level key", appending: "bridge: br1", line: 9, "unknown key 'bridge'", "did you mean 'bridges'?"),
    BadConfigurationFile(site: "a key given twice", appending: "address: 198.18.1.3", line: 9, "key 'address' appears twice", "first at line 1"),
    BadConfigurationFile(site: "no address", replacing: [1: nil], line: 0, "missing required key 'address'"),
    BadConfigurationFile(site: "a multicast address", replacing: [1: "address: 224.0.0.1"], line: 1, "multicast"),
    BadConfigurationFile(site: "no bridges", replacing: [2: nil], line: 0, "missing required key 'bridges'"),
    BadConfigurationFile(site: "an empty bridge list", replacing: [2: "bridges: []"], line: 2, "lists no bridge"),
    BadConfigurationFile(site: "a bridge name with a slash", replacing: [2: "bridges: [br/0]"], line: 2, "interface name"),
    BadConfigurationFile(site: "a bridge listed twice", replacing: [2: "bridges: [br0, br0]"], line: 2, "listed twice"),
    BadConfigurationFile(site: "port 0", appending: "port: 0", line: 9, "'port' must be from 1 to 65535"),
    BadConfigurationFile(site: "the tunnel on the signaling port", appending: "tunnel: { port: 5436 }", line: 9, "must differ"),
    BadConfigurationFile(site: "the tunnel named as a bridge", appending: "tunnel: { interface: br0 }", line: 9, "cannot be the bridge"),
    BadConfigurationFile(site: "a tiny MTU", appending: "tunnel: { mtu: 100 }", line: 9, "'mtu' must be from 576 to 9000"),
    BadConfigurationFile(site: "metrics without a port", appending: "metrics: localhost", line: 9, "host:port", "127.0.0.1:9437"),
    BadConfigurationFile(site: "an unknown log level", appending: "log-level: loud", line: 9, "'log-level' must be one of"),
    BadConfigurationFile(site: "an unknown log format", appending: "log-format: syslog", line: 9, "'log-format' must be one of text, json"),
    BadConfigurationFile(site: "a control socket path too long", appending: "control-socket: /\(String(repeating: "a", count: 120))",
                line: 9, "at most 107"),
    BadConfigurationFile(site: "a misspelt timer", appending: "timers: { expected-rtt: 10 }", line: 9, "did you mean 'expected-rtt-ms'?"),
    BadConfigurationFile(site: "a heartbeat interval below RFC 5847's floor", appending: "timers: { heartbeat-interval-s: 10 }", line: 9,
                "'heartbeat-interval-s' must be from 30 to 3600 seconds"),
    BadConfigurationFile(site: "a refresh fraction of 1.5", appending: "timers: { refresh-fraction: 1.5 }", line: 9,
                "'refresh-fraction' must be a decimal from 0.5 to 0.95"),
    BadConfigurationFile(site: "a refresh fraction in words", appending: "timers: { refresh-fraction: most }", line: 9, "'refresh-fraction'"),
    BadConfigurationFile(site: "a minimum retransmission over the maximum",
                appending: "timers: { minimum-retransmission-ms: 5000, maximum-retransmission-s: 1 }", line: 9,
                "'minimum-retransmission-ms' is longer"),
    BadConfigurationFile(site: "no home agents", replacing: [3: "home-agents: []", 4: nil, 5: nil, 6: nil, 7: nil, 8: nil], line: 3,
                "lists no home agent"),
    BadConfigurationFile(site: "home agents as a mapping", replacing: [3: "home-agents: { name: dc1 }", 4: nil, 5: nil, 6: nil, 7: nil, 8: nil],
                line: 3, "'home-agents' must be a list"),
    BadConfigurationFile(site: "a misspelt home agent key", replacing: [5: "    adress: 198.18.0.2"], line: 5, "did you mean 'address'?"),
    BadConfigurationFile(site: "a home agent without an SPI", replacing: [6: nil], line: 4, "missing required key 'spi'"),
    BadConfigurationFile(site: "a reserved SPI", replacing: [6: "    spi: 255"], line: 6, "reserved"),
    BadConfigurationFile(site: "a short key", replacing: [7: "    key: 0011"], line: 7, "at least 16"),
    BadConfigurationFile(site: "a key that is not hex", replacing: [7: "    key: secret"], line: 7, "must be hex"),
    BadConfigurationFile(site: "both key and key-file", replacing: [7: "    key: \(key)\n    key-file: dc1.key"], line: 8,
                "gives both 'key' and 'key-file'"),
    BadConfigurationFile(site: "no key", replacing: [7: nil], line: 4, "home agent 'dc1' needs a 'key' or a 'key-file'"),
    BadConfigurationFile(site: "a missing key file", replacing: [7: "    key-file: /nonexistent/dc1.key"], line: 7, "cannot read key file"),
    BadConfigurationFile(site: "an unknown algorithm", appending: "    algorithm: md5", line: 9, "'algorithm' must be"),
    BadConfigurationFile(site: "the home agent at the site's own address", replacing: [5: "    address: 198.18.1.2"], line: 5,
                "this site agent's own address"),
    BadConfigurationFile(site: "a bad home agent name", replacing: [4: "  - name: data centre"], line: 4, "home agent name"),
    BadConfigurationFile(site: "a VM that is not a MAC", replacing: [8: "    vms: [vm1]"], line: 8, "MAC address"),
    BadConfigurationFile(site: "a multicast VM MAC", replacing: [8: "    vms: [\"01:00:5e:00:00:01\"]"], line: 8, "multicast"),
    BadConfigurationFile(site: "a VM under two home agents", appending: secondHomeAgent.replacingOccurrences(of: "52:54:00:aa:00:01", with: "52:54:00:12:34:56"),
                line: 13, "listed twice", "first at line 8"),
    BadConfigurationFile(site: "two home agents with one name", appending: secondHomeAgent.replacingOccurrences(of: "dc2", with: "dc1"),
                line: 9, "'dc1' is used twice"),
    BadConfigurationFile(site: "two home agents at one address", appending: secondHomeAgent.replacingOccurrences(of: "198.18.8.2", with: "198.18.0.2"),
                line: 10, "of another (at line 5)"),
    BadConfigurationFile(site: "two home agents with one SPI", appending: secondHomeAgent.replacingOccurrences(of: "spi: 257", with: "spi: 0x100"),
                line: 11, "SPI 256 of another"),
]

@Suite("site agent configuration")
struct SiteConfigurationTests {
    @Test("The example in Docs/examples parses")
    func documentedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let configuration = try SiteAgentConfiguration.load(path: root.appendingPathComponent("Docs/examples/site-agent.yaml").path)
        #expect(configuration.policy.address == IPv4Address(198, 18, 1, 2))
        #expect(configuration.bridges == ["br0"])
        #expect(configuration.policy.homeAgents.map(\.name) == ["dc1", "dc2"])
        #expect(configuration.policy.homeAgents[1].association.spi == 0x200)
        #expect(configuration.policy.homeAgent(serving: MACAddress(0x52, 0x54, 0, 0xaa, 0, 1))?.name == "dc2")
        #expect(configuration.policy.timers == SiteAgentTimers())
        #expect(configuration.metrics == MetricsEndpoint(host: "127.0.0.1", port: 9437))
        #expect(configuration.uplinks != nil && !(configuration.uplinks ?? []).isEmpty)
        #expect(configuration.policy.localHomeAgent != nil)
    }

    @Test("Without 'uplinks', the bridges' ports that are network devices, bonds or VLANs are taken; taps and veths are not")
    func uplinksDetected() throws {
        let sysfs = FileManager.default.temporaryDirectory.appendingPathComponent("glm-sysfs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: sysfs) }
        for path in ["br0/brif/eno2", "br0/brif/bond0", "br0/brif/vnet0", "br0/brif/vm-a1", "eno2/device", "bond0/bonding",
                     "vnet0", "vm-a1"] {
            try FileManager.default.createDirectory(atPath: "\(sysfs)/\(path)", withIntermediateDirectories: true)
        }
        #expect(BridgeUplinks.detect(on: ["br0"], sysfs: sysfs) == ["eno2", "bond0"])
        let configuration = try SiteAgentConfiguration(yaml: SiteConfigurationSamples.minimal, path: "/etc/glm/site-agent.yaml")
        #expect(configuration.uplinks == nil, "left to detection at start")
    }

    @Test("A minimal file takes every default")
    func defaults() throws {
        let configuration = try SiteAgentConfiguration(yaml: SiteConfigurationSamples.minimal, path: "/etc/glm/site-agent.yaml")
        #expect(configuration.listenPort == 5436)
        #expect(configuration.tunnelInterface == "glm0")
        #expect(configuration.tunnelPort == 5437)
        #expect(configuration.tunnelMTU == 1460)
        #expect(configuration.controlSocket == "/run/glm/site-agent.sock")
        #expect(configuration.metrics == SiteAgentConfiguration.defaultMetrics)
        #expect(configuration.logLevel == .info)
        #expect(configuration.policy.timers == SiteAgentTimers())
        let peer = try #require(configuration.policy.homeAgents.first)
        #expect(peer.port == 5436)
        #expect(peer.association.algorithm == .hmacSHA256_128)
        #expect(peer.vms == [MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)])
    }

    @Test("Timers, metrics off, and a key file relative to the configuration")
    func settings() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-sa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try SecretFile.write("\(SiteConfigurationSamples.key16)\n", to: directory.appendingPathComponent("dc1.key").path)
        let yaml = SiteConfigurationSamples.minimal.replacingOccurrences(of: "key: \(SiteConfigurationSamples.key16)", with: "key-file: dc1.key")
            + """
            metrics: off
            control-socket: agent.sock
            timers: { expected-rtt-ms: 6, requested-lifetime-s: 600, refresh-fraction: 0.75, heartbeat-interval-s: 30 }
            """
        let configuration = try SiteAgentConfiguration(yaml: yaml, path: directory.path + "/site-agent.yaml")
        #expect(configuration.metrics == nil)
        #expect(configuration.controlSocket == directory.path + "/agent.sock")
        #expect(configuration.policy.timers.expectedRoundTrip == 0.006)
        #expect(configuration.policy.timers.requestedLifetime == 600)
        #expect(configuration.policy.timers.refreshFraction == 0.75)
        #expect(configuration.policy.timers.heartbeatInterval == 30)
        #expect(configuration.policy.homeAgents[0].association.spi == 256)
    }

    @Test("A bad file is refused at its line", arguments: siteBadFiles)
    func refused(_ file: BadConfigurationFile) {
        file.expectRefused(path: "/etc/glm/site-agent.yaml") { _ = try SiteAgentConfiguration(yaml: $0, path: $1) }
    }

    @Test("A key file other users may read is refused at its line; one its group may read is accepted")
    func keyFileModes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-sa-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyFile = directory + "/dc1.key"
        let yaml = ConfigurationEdit.apply(to: SiteConfigurationSamples.minimal, replacing: [7: "    key-file: dc1.key"])
        try SecretFile.write("\(key)\n", to: keyFile, mode: 0o644)
        let error = try #require(throws: ConfigurationError.self) {
            try SiteAgentConfiguration(yaml: yaml, path: directory + "/site-agent.yaml")
        }
        #expect(error.line == 7)
        #expect(error.reason == "key file \(keyFile) can be read by any user (mode 0644); chmod 600 \(keyFile) (or 640 to let its group read it)")

        try SecretFile.write("\(key)\n", to: keyFile, mode: 0o640)
        let configuration = try SiteAgentConfiguration(yaml: yaml, path: directory + "/site-agent.yaml")
        #expect(configuration.policy.homeAgents[0].association.spi == 256)
    }

    @Test("An unreadable file is refused naming it")
    func unreadable() {
        let error = #expect(throws: ConfigurationError.self) { try SiteAgentConfiguration.load(path: "/nonexistent/site-agent.yaml") }
        #expect(error?.line == 0)
        #expect(error?.reason.contains("cannot read the file") == true)
    }
}
