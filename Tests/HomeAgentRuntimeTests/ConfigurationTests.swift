import ConfigurationTestSupport
import Foundation
import GLMWire
import HomeAgentCore
import HomeAgentRuntime
import Testing

@Suite("Configuration: valid files")
struct ConfigurationTests {
    @Test("A complete file gives every value it states")
    func completeFile() throws {
        let directory = try TemporaryDirectory()
        let keyFile = directory.path + "/site-b.key"
        try SecretFile.write("  101112131415161718191a1b1c1d1e1f2021222324252627\n", to: keyFile)
        let yaml = """
            # The home agent of site "home".
            address: 198.18.0.2
            port: 6436
            home-interface: br-home
            tunnel: { interface: glm7, port: 6437, mtu: 1380, implementation: user-space }
            database: state/bindings.sqlite
            control-socket: /run/glm/test.sock
            metrics: 0.0.0.0:9500
            log-level: debug
            timers: { timestamp-window-ms: 500, min-delay-before-delete-s: 20, maximum-lifetime-s: 7200, revocation-initial-timeout-ms: 100, revocation-maximum-transmissions: 7, heartbeat-interval-s: 30, missing-heartbeats-allowed: 4 }
            sites:
              - name: site-a
                address: 198.18.1.2
                spi: 256
                algorithm: hmac-sha256-128
                key: 000102030405060708090a0b0c0d0e0f
              - name: site-b
                address: 198.18.2.2
                spi: 0x1000
                algorithm: hmac-sha1-96
                key-file: site-b.key
            vms:
              - mac: 52:54:00:12:34:56
                name: vm-42@tenant.example
                address: 10.10.0.50/24
                gateway: 10.10.0.1
                gre-key: 4097
                sites: [site-a, site-b]
              - mac: 52-54-00-AB-CD-EF
                address: 10.20.0.9/16
                gateway: 10.20.255.254
            """
        let configuration = try HomeAgentConfiguration(yaml: yaml, path: directory.path + "/home-agent.yaml")
        #expect(configuration.policy.address == IPv4Address(198, 18, 0, 2))
        #expect(configuration.listenPort == 6436)
        #expect(configuration.homeInterface == "br-home")
        #expect(configuration.tunnelInterface == "glm7")
        #expect(configuration.tunnelPort == 6437)
        #expect(configuration.tunnelMTU == 1380)
        #expect(configuration.tunnelImplementation == .userSpace)
        #expect(configuration.database == directory.path + "/state/bindings.sqlite")
        #expect(configuration.controlSocket == "/run/glm/test.sock")
        #expect(configuration.metrics == .init(host: "0.0.0.0", port: 9500))
        #expect(configuration.logLevel == .debug)

        let timers = configuration.policy.timers
        #expect(timers.timestampValidityWindow == 0.5)
        #expect(timers.minDelayBeforeDelete == 20)
        #expect(timers.maximumLifetime == 7200)
        #expect(timers.revocationInitialTimeout == 0.1)
        #expect(timers.revocationMaximumTransmissions == 7)
        #expect(timers.heartbeatInterval == 30)
        #expect(timers.missingHeartbeatsAllowed == 4)

        let sites = configuration.policy.sites
        #expect(sites.map(\.name) == ["site-a", "site-b"])
        #expect(sites[0].hosts == [IPv4Prefix(host: IPv4Address(198, 18, 1, 2))])
        #expect(sites[0].association.spi == 256)
        #expect(sites[0].association.algorithm == .hmacSHA256_128)
        #expect(sites[1].hosts == [IPv4Prefix(host: IPv4Address(198, 18, 2, 2))])
        #expect(sites[1].association.spi == 4096)
        #expect(sites[1].association.algorithm == .hmacSHA1_96)
        #expect(configuration.policy.site(at: IPv4Address(198, 18, 2, 2))?.name == "site-b")

        let vms = configuration.policy.vms
        #expect(vms.count == 2)
        #expect(vms[0] == VMPolicy(mac: MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56), nai: "vm-42@tenant.example",
                                   address: IPv4Address(10, 10, 0, 50), prefixLength: 24,
                                   gateway: IPv4Address(10, 10, 0, 1), greKey: 4097,
                                   allowedSites: ["site-a", "site-b"]))
        #expect(vms[1] == VMPolicy(mac: MACAddress(0x52, 0x54, 0, 0xab, 0xcd, 0xef), address: IPv4Address(10, 20, 0, 9),
                                   prefixLength: 16, gateway: IPv4Address(10, 20, 255, 254)))
        #expect(configuration.policy.vm(nai: "vm-42@tenant.example")?.address == IPv4Address(10, 10, 0, 50))
    }

    @Test("Keys left out take their documented defaults")
    func defaults() throws {
        let configuration = try HomeAgentConfiguration(yaml: ConfigurationSamples.minimal, path: "/etc/glm/home-agent.yaml")
        #expect(configuration.listenPort == 5436)
        #expect(configuration.tunnelPort == 5437)
        #expect(configuration.tunnelInterface == "glm0")
        #expect(configuration.tunnelMTU == 1400)
        #expect(configuration.tunnelImplementation == .auto)
        #expect(configuration.database == "/var/lib/glm/home-agent.sqlite")
        #expect(configuration.controlSocket == "/run/glm/home-agent.sock")
        #expect(configuration.metrics == .init(host: "127.0.0.1", port: 9436))
        #expect(configuration.logLevel == .info)
        #expect(configuration.policy.timers == HomeAgentTimers())
        #expect(configuration.policy.sites.first?.association.algorithm == .hmacSHA256_128)
        #expect(configuration.policy.vms.first?.allowedSites == nil)
        #expect(configuration.policy.vms.first?.greKey == nil)
    }

    @Test("Metrics can be switched off, or listen on an IPv6 address")
    func metricsForms() throws {
        let off = try HomeAgentConfiguration(yaml: ConfigurationSamples.minimal + "metrics: off\n", path: "t.yaml")
        #expect(off.metrics == nil)
        let v6 = try HomeAgentConfiguration(yaml: ConfigurationSamples.minimal + "metrics: \"[::1]:9436\"\n", path: "t.yaml")
        #expect(v6.metrics == .init(host: "::1", port: 9436))
    }

    @Test("A file with no VMs is accepted: they can be added on reload")
    func noVMs() throws {
        let yaml = ConfigurationSamples.minimal.components(separatedBy: "vms:")[0]
        let configuration = try HomeAgentConfiguration(yaml: yaml, path: "t.yaml")
        #expect(configuration.policy.vms.isEmpty)
    }

    @Test("Timers at both ends of their ranges are accepted")
    func timerBounds() throws {
        for (window, heartbeat, lifetime) in [(10, 30, 4), (60_000, 3600, 262_140)] {
            let yaml = ConfigurationSamples.minimal + """
                timers: { timestamp-window-ms: \(window), heartbeat-interval-s: \(heartbeat), maximum-lifetime-s: \(lifetime) }

                """
            let timers = try HomeAgentConfiguration(yaml: yaml, path: "t.yaml").policy.timers
            #expect(timers.heartbeatInterval == Double(heartbeat))
            #expect(timers.timestampValidityWindow == Double(window) / 1000)
            #expect(timers.maximumLifetime == Double(lifetime))
        }
    }

    @Test("load(path:) reads the file")
    func loadFromFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/home-agent.yaml"
        try ConfigurationSamples.minimal.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try HomeAgentConfiguration.load(path: path)
        #expect(configuration.homeInterface == "br-home")
    }

    @Test("The example in Docs/examples parses")
    func documentedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("Docs/examples/home-agent.yaml").path
        let configuration = try HomeAgentConfiguration.load(path: path)
        #expect(configuration.policy.address == IPv4Address(198, 18, 0, 2))
        #expect(configuration.policy.sites.count >= 2)
        #expect(!configuration.policy.vms.isEmpty)
        #expect(configuration.homeInterface == "br-home")
    }
}

/// Configuration text shared by the tests.
enum ConfigurationSamples {
    static let key16 = "000102030405060708090a0b0c0d0e0f"

    /// The least valid file: 11 lines, every line referred to by the error tests.
    static let minimal = """
        address: 198.18.0.2
        home-interface: br-home
        sites:
          - name: site-a
            address: 198.18.1.2
            spi: 256
            key: \(key16)
        vms:
          - mac: 52:54:00:12:34:56
            address: 10.10.0.50/24
            gateway: 10.10.0.1

        """
}

/// A directory under the system's temporary directory, removed when the value goes.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("glm-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
