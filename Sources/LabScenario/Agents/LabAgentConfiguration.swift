import Foundation
import LabNetwork

/// The configuration files the lab writes for its agents: one home agent anchoring every
/// VM, one site agent per site with the site's bridge, each pair sharing a fresh key.
struct LabAgentConfiguration {
    let topology: LabTopology
    let vms: [VMProfile]
    let folder: String
    let expectedRoundTrip: Duration
    /// Both agents' heartbeat timers when given (RFC 5847: 30 s at the least); else the defaults.
    var heartbeat: LabAgents.Heartbeat?
    /// Both agents' `tunnel.implementation` when given; else their default (`auto`).
    var tunnelImplementation: String? = nil

    /// The `tunnel` section the agents get, or nothing.
    var tunnelSection: String { tunnelImplementation.map { "tunnel: { implementation: \($0) }" } ?? "" }

    var homeAgentFile: String { "\(folder)/home-agent.yaml" }
    func siteAgentFile(_ site: Int) -> String { "\(folder)/site\(site).yaml" }
    static func keyFile(_ site: Int, in folder: String) -> String { "\(folder)/site\(site).key" }
    func keyFile(_ site: Int) -> String { Self.keyFile(site, in: folder) }

    /// Site k's name in the home agent's configuration: site-a, site-b, …
    static func siteName(_ site: Int) -> String {
        site <= 26 ? "site-" + String(UnicodeScalar(UInt8(96 + site))) : "site-\(site)"
    }

    func write() throws {
        let sites = 1...topology.sites.count
        var keys = "# The lab's security associations, for `glmctl decode --keys` and the replay tests.\n"
        for site in sites {
            let key = Self.randomKey()
            try key.write(toFile: keyFile(site), atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile(site))
            keys += "\(255 + site) hmac-sha256-128 \(key)"
        }
        try keys.write(toFile: "\(folder)/signaling.keys", atomically: true, encoding: .utf8)
        let milliseconds = Int(expectedRoundTrip.milliseconds)
        var home = """
        # Written by the GLM lab: the origin site's home agent.
        address: \(LabTopology.Host.home.wanAddress)
        home-interface: \(LabTopology.Host.home.bridge)
        database: \(folder)/home-agent.sqlite
        control-socket: \(folder)/home-agent.sock
        metrics: off
        log-level: info
        \(tunnelSection)
        \(heartbeat.map { "timers: { heartbeat-interval-s: \($0.intervalSeconds), missing-heartbeats-allowed: \($0.missingAllowed) }" } ?? "")
        sites:

        """
        for site in sites {
            home += "  - { name: \(Self.siteName(site)), address: \(LabTopology.Host.site(site).wanAddress), "
                + "spi: \(255 + site), key-file: \(keyFile(site)) }\n"
        }
        home += "vms:\n"
        for vm in vms {
            home += "  - { mac: \"\(vm.mac)\", name: \(vm.name), address: \(vm.address)/\(vm.prefixLength), gateway: \(vm.gateway) }\n"
        }
        try home.write(toFile: homeAgentFile, atomically: true, encoding: .utf8)
        for site in sites {
            let text = """
            # Written by the GLM lab: the site agent of \(Self.siteName(site))'s hypervisor host.
            address: \(LabTopology.Host.site(site).wanAddress)
            bridges: [\(LabTopology.Host.site(site).bridge)]
            uplinks: []
            control-socket: \(folder)/site\(site).sock
            metrics: off
            log-level: info
            \(tunnelSection)
            timers:
              expected-rtt-ms: \(max(1, milliseconds))
            \(heartbeat.map { "  heartbeat-interval-s: \($0.intervalSeconds)\n  missing-heartbeats-allowed: \($0.missingAllowed)" } ?? "")
            home-agents:
              - name: home
                address: \(LabTopology.Host.home.wanAddress)
                spi: \(255 + site)
                key-file: \(keyFile(site))
                vms: [\(vms.map { "\"\($0.mac)\"" }.joined(separator: ", "))]

            """
            try text.write(toFile: siteAgentFile(site), atomically: true, encoding: .utf8)
        }
    }

    private static func randomKey() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() + "\n"
    }
}
