import AgentConfiguration
import ConfigurationTestSupport
import Foundation
import HomeAgentRuntime
import Testing

typealias BadFile = BadConfigurationFile

extension BadConfigurationFile {
    /// ``ConfigurationSamples/minimal`` with its lines (numbered from 1) replaced; a nil
    /// replacement deletes the line, and a replacement may hold several lines.
    init(_ name: String, replacing replacements: [Int: String?] = [:], appending tail: String = "",
         line: Int, _ reason: String...) {
        self.init(name, yaml: ConfigurationEdit.apply(to: ConfigurationSamples.minimal, replacing: replacements, appending: tail),
                  line: line, reason)
    }
}

private let key = ConfigurationSamples.key16
private let siteB = "  - { name: site-b, address: 198.18.2.2, spi: 257, key: \(key) }"

/// Line numbers below refer to ``ConfigurationSamples/minimal``:
/// 1 address, 2 home-interface, 3 sites, 4-7 site-a (name, address, spi, key),
/// 8 vms, 9-11 the VM (mac, address, gateway); appended text starts at line 12.
private let badFiles: [BadFile] = [
    // YAML itself
    BadFile("YAML syntax: a mapping value where none may be", replacing: [2: "home-interface: br-home: extra"],
            line: 2, "YAML syntax", "mapping values are not allowed"),
    BadFile("YAML syntax: a tab in the indentation", replacing: [6: "\tspi: 256"], line: 6, "YAML syntax"),
    BadFile("YAML syntax: two documents", appending: "---\naddress: 198.18.0.3", line: 12, "YAML syntax", "single document"),
    BadFile("an empty file", yaml: "", line: 0, ["the file is empty"]),
    BadFile("only comments", yaml: "# nothing here\n", line: 0, ["the file is empty"]),
    BadFile("a list at the top", yaml: "- address: 198.18.0.2\n", line: 1, ["the top level must be a mapping", "not a list"]),
    // Unknown, duplicate and missing keys
    BadFile("an unknown top-level key", appending: "heartbeat: 60", line: 12,
            "unknown key 'heartbeat' at the top level", "allowed: address, port"),
    BadFile("a misspelt timer", appending: "timers: { heartbeat-intervall-s: 60 }", line: 12,
            "unknown key 'heartbeat-intervall-s' in 'timers'", "did you mean 'heartbeat-interval-s'?"),
    BadFile("a misspelt site key", replacing: [5: "    adress: 198.18.1.2"], line: 5,
            "unknown key 'adress' in a 'sites' entry", "did you mean 'address'?"),
    BadFile("a key given twice", appending: "home-interface: br0", line: 12,
            "key 'home-interface' appears twice at the top level (first at line 2)"),
    BadFile("a missing top-level key", replacing: [2: nil], line: 0, "missing required key 'home-interface' at the top level"),
    BadFile("a site without its SPI", replacing: [6: nil], line: 4, "missing required key 'spi' in a 'sites' entry"),
    BadFile("a VM without its gateway", replacing: [11: nil], line: 9, "missing required key 'gateway' in a 'vms' entry"),
    BadFile("a site without a key", replacing: [7: nil], line: 4, "site 'site-a' needs a 'key' or a 'key-file'"),
    BadFile("a key with no value", replacing: [2: "home-interface:"], line: 2, "'home-interface' has no value"),
    // Wrong shapes and types
    BadFile("a list where a value goes", replacing: [6: "    spi: [256]"], line: 6, "'spi' must be a single value, not a list"),
    BadFile("a value where a list goes", replacing: [3: "sites: site-a", 4: nil, 5: nil, 6: nil, 7: nil], line: 3,
            "'sites' must be a list, not 'site-a'"),
    BadFile("words where a number goes", replacing: [6: "    spi: two-five-six"], line: 6, "'spi' must be a whole number"),
    BadFile("a fraction where whole milliseconds go", appending: "timers: { timestamp-window-ms: 0.5 }", line: 12,
            "'timestamp-window-ms' must be a whole number of milliseconds, not '0.5'"),
    BadFile("timers as a list", appending: "timers: [60]", line: 12, "'timers' must be a mapping"),
    // Addresses, MACs, keys, prefixes
    BadFile("an octet above 255", replacing: [5: "    address: 198.18.1.256"], line: 5,
            "'address' must be an IPv4 address such as 192.0.2.1, not '198.18.1.256'"),
    BadFile("a multicast signaling address", replacing: [1: "address: 224.0.0.5"], line: 1, "224.0.0.5 is a multicast address"),
    BadFile("a site at the home agent's own address", replacing: [5: "    address: 198.18.0.2"], line: 5,
            "site 'site-a' holds the home agent's own address 198.18.0.2"),
    BadFile("a MAC with five octets", replacing: [9: "  - mac: 52:54:00:12:34"], line: 9, "'mac' must be a MAC address"),
    BadFile("a multicast MAC", replacing: [9: "  - mac: 01:00:5e:00:00:01"], line: 9, "01:00:5e:00:00:01 is a multicast address"),
    BadFile("a key that is not hex", replacing: [7: "    key: 000102030405060708090a0b0c0d0e0g"], line: 7, "'key' must be hex"),
    BadFile("a key of an odd number of digits", replacing: [7: "    key: 000102030405060708090a0b0c0d0e0f1"], line: 7, "'key' must be hex"),
    BadFile("a key of 8 octets", replacing: [7: "    key: 0001020304050607"], line: 7,
            "site 'site-a' key is 8 octets; at least 16 (128 bits) are required"),
    BadFile("a key file that does not exist", replacing: [7: "    key-file: /nonexistent/site-a.key"], line: 7,
            "cannot read key file /nonexistent/site-a.key: No such file or directory"),
    BadFile("both a key and a key file", replacing: [7: "    key: \(key)\n    key-file: site-a.key"], line: 8,
            "site 'site-a' gives both 'key' and 'key-file'"),
    BadFile("an unknown algorithm", replacing: [7: "    algorithm: hmac-md5\n    key: \(key)"], line: 7,
            "'algorithm' must be hmac-sha256-128 or hmac-sha1-96, not 'hmac-md5'"),
    BadFile("a prefix length of 33", replacing: [10: "    address: 10.10.0.50/33"], line: 10,
            "'address' prefix length must be from 1 to 32, not '33'"),
    BadFile("an address without its prefix", replacing: [10: "    address: 10.10.0.50"], line: 10,
            "'address' must be an address with its prefix length"),
    BadFile("the subnet's network address as the VM's", replacing: [10: "    address: 10.10.0.0/24"], line: 10,
            "address 10.10.0.0 is the network address of 10.10.0.0/24"),
    BadFile("a gateway outside the VM's subnet", replacing: [11: "    gateway: 10.10.1.1"], line: 11,
            "gateway 10.10.1.1 is outside its home subnet 10.10.0.0/24"),
    BadFile("a GRE key beyond 32 bits", appending: "    gre-key: 4294967296", line: 12,
            "'gre-key' must be from 0 to 4294967295, not 4294967296"),
    // Ranges
    BadFile("SPI 255, which RFC 4285 reserves", replacing: [6: "    spi: 255"], line: 6, "'spi' 255 is reserved", "RFC 4285"),
    BadFile("a heartbeat interval below RFC 5847's 30 s", appending: "timers:\n  heartbeat-interval-s: 20", line: 13,
            "'heartbeat-interval-s' must be from 30 to 3600 seconds, not 20"),
    BadFile("a lifetime the PBU cannot carry", appending: "timers: { maximum-lifetime-s: 262141 }", line: 12,
            "'maximum-lifetime-s' must be from 4 to 262140 seconds"),
    BadFile("no revocation transmissions", appending: "timers: { revocation-maximum-transmissions: 0 }", line: 12,
            "'revocation-maximum-transmissions' must be from 1 to 20, not 0"),
    BadFile("a tunnel MTU below 576", appending: "tunnel: { mtu: 100 }", line: 12, "'mtu' must be from 576 to 9000 octets"),
    BadFile("port 0", appending: "port: 0", line: 12, "'port' must be from 1 to 65535, not 0"),
    BadFile("an unknown tunnel implementation", appending: "tunnel:\n  implementation: kernel", line: 13,
            "'implementation' must be one of auto, ebpf, user-space, not 'kernel'"),
    BadFile("the tunnel on the signaling port", appending: "tunnel: { port: 5436 }", line: 12,
            "the tunnel port and the signaling port are both 5436"),
    BadFile("an interface name too long for Linux", replacing: [2: "home-interface: a-very-long-bridge-name"], line: 2,
            "'home-interface' must be an interface name of 1 to 15 characters"),
    BadFile("metrics without a port", appending: "metrics: localhost", line: 12, "'metrics' must be host:port"),
    BadFile("an unknown log level", appending: "log-level: verbose", line: 12,
            "'log-level' must be one of trace, debug, info, notice, warning, error, critical, not 'verbose'"),
    BadFile("an unknown log format", appending: "log-format: syslog", line: 12, "'log-format' must be one of text, json, not 'syslog'"),
    BadFile("no site at all", replacing: [3: "sites: []", 4: nil, 5: nil, 6: nil, 7: nil], line: 3, "'sites' lists no site"),
    // Policy conflicts, at the offending entry
    BadFile("two sites of one name", replacing: [7: "    key: \(key)\n  - { name: site-a, address: 198.18.2.2, spi: 257, key: \(key) }"],
            line: 8, "site site-a is defined twice (the other entry is at line 4)"),
    BadFile("two sites at one address", replacing: [7: "    key: \(key)\n  - { name: site-b, address: 198.18.1.2, spi: 257, key: \(key) }"],
            line: 8, "site site-b's hosts 198.18.1.2/32 overlap site site-a's 198.18.1.2/32 (the other entry is at line 4)"),
    BadFile("two sites with one SPI", replacing: [7: "    key: \(key)\n  - { name: site-b, address: 198.18.2.2, spi: 256, key: \(key) }"],
            line: 8, "site site-b has the SPI 256 of another site (the other entry is at line 4)"),
    BadFile("two VMs with one MAC", appending: "  - { mac: 52:54:00:12:34:56, address: 10.10.0.51/24, gateway: 10.10.0.1 }",
            line: 12, "VM 52:54:00:12:34:56 is defined twice (the other entry is at line 9)"),
    BadFile("two VMs at one address", appending: "  - { mac: 52:54:00:12:34:57, address: 10.10.0.50/24, gateway: 10.10.0.1 }",
            line: 12, "has the address 10.10.0.50 of another VM (the other entry is at line 9)"),
    BadFile("two VMs of one name", replacing: [11: "    gateway: 10.10.0.1\n    name: vm@tenant"],
            appending: "  - { mac: 52:54:00:12:34:57, name: vm@tenant, address: 10.10.0.51/24, gateway: 10.10.0.1 }",
            line: 13, "VM name vm@tenant is used twice (the other entry is at line 9)"),
    BadFile("a VM allowed at a site that does not exist", appending: "    sites: [site-a, site-z]", line: 12,
            "VM 52:54:00:12:34:56 allows site 'site-z', which is not defined in 'sites'"),
    BadFile("a VM allowed at no site", appending: "    sites: []", line: 12, "'sites' is empty, which would allow no site"),
    BadFile("a later site conflicting with an earlier one",
            replacing: [7: "    key: \(key)\n\(siteB)\n  - { name: site-c, address: 198.18.2.2, spi: 258, key: \(key) }"],
            line: 9, "site site-c's hosts 198.18.2.2/32 overlap site site-b's 198.18.2.2/32 (the other entry is at line 8)"),
]

@Suite("Configuration: refused files")
struct ConfigurationErrorTests {
    @Test("A bad file is refused at the right line with a clear reason", arguments: badFiles)
    func refused(_ file: BadFile) {
        file.expectRefused(path: "/etc/glm/home-agent.yaml") { _ = try HomeAgentConfiguration(yaml: $0, path: $1) }
    }

    @Test("The minimal file the cases start from is itself valid")
    func baseIsValid() throws {
        _ = try HomeAgentConfiguration(yaml: BadFile("base", line: 0).yaml, path: "t.yaml")
    }

    @Test("A file that cannot be read is refused as a whole")
    func unreadable() throws {
        let missing = "/nonexistent/home-agent.yaml"
        let error = try #require(throws: ConfigurationError.self) { try HomeAgentConfiguration.load(path: missing) }
        #expect(error == ConfigurationError(path: missing, line: 0, reason: "cannot read the file: No such file or directory"))

        let directory = try TemporaryDirectory()
        let notFile = try #require(throws: ConfigurationError.self) { try HomeAgentConfiguration.load(path: directory.path) }
        #expect(notFile.line == 0)
        #expect(notFile.reason == "cannot read the file: not a regular file")
    }

    @Test("A key file with bad contents is refused at the key-file line")
    func badKeyFile() throws {
        let directory = try TemporaryDirectory()
        try SecretFile.write("not hex at all\n", to: directory.path + "/site-a.key")
        let file = BadFile("bad key file", replacing: [7: "    key-file: site-a.key"], line: 7)
        let error = try #require(throws: ConfigurationError.self) {
            try HomeAgentConfiguration(yaml: file.yaml, path: directory.path + "/home-agent.yaml")
        }
        #expect(error.line == 7)
        #expect(error.reason == "key file \(directory.path)/site-a.key must hold the key in hex, two digits an octet")
    }

    @Test("A key file other users may read or write is refused at the key-file line, with the chmod that fixes it",
          arguments: [(0o644, "read"), (0o604, "read"), (0o602, "written"), (0o666, "read and written")])
    func keyFileOpenToOthers(_ mode: Int, _ access: String) throws {
        let directory = try TemporaryDirectory()
        let keyFile = directory.path + "/site-a.key"
        try SecretFile.write(key + "\n", to: keyFile, mode: mode)
        let file = BadFile("open key file", replacing: [7: "    key-file: site-a.key"], line: 7)
        let error = try #require(throws: ConfigurationError.self) {
            try HomeAgentConfiguration(yaml: file.yaml, path: directory.path + "/home-agent.yaml")
        }
        #expect(error.line == 7)
        #expect(error.reason == "key file \(keyFile) can be \(access) by any user (mode 0\(String(mode, radix: 8))); "
                + "chmod 600 \(keyFile) (or 640 to let its group read it)")
    }

    @Test("A key file private to its owner, or to its owner and group (root:glm 0640), is accepted",
          arguments: [0o600, 0o640, 0o400, 0o660])
    func privateKeyFile(_ mode: Int) throws {
        let directory = try TemporaryDirectory()
        try SecretFile.write(key + "\n", to: directory.path + "/site-a.key", mode: mode)
        let yaml = BadFile("private key file", replacing: [7: "    key-file: site-a.key"], line: 0).yaml
        let configuration = try HomeAgentConfiguration(yaml: yaml, path: directory.path + "/home-agent.yaml")
        #expect(configuration.policy.sites.first?.association.spi == 256)
    }
}
