import Foundation
import LabNetwork

/// The configuration files of a federation as its operators would write them: on each
/// site's home-agent host a home agent that lists every site once (its hypervisors'
/// addresses as one prefix, one key) and its own VMs; on every hypervisor a site agent
/// whose file is the same as its site's other hypervisors' but for its address, and that
/// lists the federation's home agents and no VM.
struct FederationAgentConfiguration {
    let topology: FederationTopology
    /// The VMs by the site that is their home.
    let vms: [Int: [VMProfile]]
    let folder: String
    let expectedRoundTrip: Duration
    /// Every agent's `tunnel.implementation` when given; else their default (`auto`).
    var tunnelImplementation: String? = nil

    /// The `tunnel` section the agents get, or nothing.
    private var tunnelSection: String { tunnelImplementation.map { "tunnel: { implementation: \($0) }\n" } ?? "" }

    func homeAgentFile(_ site: Int) -> String { "\(folder)/ha\(site).yaml" }
    func siteAgentFile(_ hypervisor: FederationTopology.Hypervisor) -> String { "\(folder)/hv\(hypervisor.site)\(hypervisor.index).yaml" }
    /// The key shared by home agent `home` and every hypervisor of site `site`.
    func keyFile(home: Int, site: Int) -> String { "\(folder)/ha\(home)-site\(site).key" }
    /// The SPI of that association: unique at the home agent (one per site) and at the
    /// site agents (one per home agent).
    static func spi(home: Int, site: Int) -> Int { 256 + 16 * home + site }

    /// Site k's name: site-a, site-b, …; its home agent's: ha-a, ha-b, …
    static func siteName(_ site: Int) -> String { "site-" + String(FederationTopology.letter(site: site)).lowercased() }
    static func homeAgentName(_ site: Int) -> String { "ha-" + String(FederationTopology.letter(site: site)).lowercased() }

    /// The prefix holding site `site`'s hypervisors' signaling addresses (.8 to .15: not
    /// the home agent's .2 nor the router's .1).
    static func hypervisorPrefix(_ site: Int) -> String { "198.18.\(site).8/29" }

    func write() throws {
        var keys = "# The lab's security associations, for `glmctl decode --keys`.\n"
        for home in topology.sites {
            for site in topology.sites {
                let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() + "\n"
                try key.write(toFile: keyFile(home: home, site: site), atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile(home: home, site: site))
                keys += "\(Self.spi(home: home, site: site)) hmac-sha256-128 \(key)"
            }
        }
        try keys.write(toFile: "\(folder)/signaling.keys", atomically: true, encoding: .utf8)
        for home in topology.sites {
            try homeAgent(home).write(toFile: homeAgentFile(home), atomically: true, encoding: .utf8)
        }
        for hypervisor in topology.hypervisors {
            try siteAgent(hypervisor).write(toFile: siteAgentFile(hypervisor), atomically: true, encoding: .utf8)
        }
    }

    func homeAgent(_ home: Int) -> String {
        var text = """
        # Written by the GLM lab: the home agent of \(Self.siteName(home)).
        address: \(FederationTopology.homeAgentWANAddress(site: home))
        home-interface: \(FederationTopology.homeBridge)
        database: \(folder)/ha\(home).sqlite
        control-socket: \(folder)/ha\(home).sock
        metrics: 127.0.0.1:9436
        log-level: info

        """
        text += tunnelSection + "sites:\n"
        for site in topology.sites {
            text += "  - { name: \(Self.siteName(site)), hosts: [\(Self.hypervisorPrefix(site))], "
                + (site == home ? "home: true, " : "")
                + "spi: \(Self.spi(home: home, site: site)), key-file: \(keyFile(home: home, site: site)) }\n"
        }
        let own = vms[home] ?? []
        text += own.isEmpty ? "vms: []\n" : "vms:\n"
        for vm in own {
            text += "  - { mac: \"\(vm.mac)\", name: \(vm.name), address: \(vm.address)/\(vm.prefixLength), gateway: \(vm.gateway) }\n"
        }
        return text
    }

    func siteAgent(_ hypervisor: FederationTopology.Hypervisor) -> String {
        var text = """
        # Written by the GLM lab: the site agent of hypervisor \(hypervisor) of \(Self.siteName(hypervisor.site)).
        address: \(hypervisor.wanAddress)
        bridges: [\(hypervisor.bridge)]
        uplinks: [\(hypervisor.uplink)]
        home-agent: \(Self.homeAgentName(hypervisor.site))
        control-socket: \(folder)/hv\(hypervisor.site)\(hypervisor.index).sock
        metrics: 127.0.0.1:9437
        log-level: info
        timers:
          expected-rtt-ms: \(max(1, Int(expectedRoundTrip.milliseconds)))

        """
        text += tunnelSection + "home-agents:\n"
        for home in topology.sites {
            text += "  - { name: \(Self.homeAgentName(home)), address: \(FederationTopology.homeAgentWANAddress(site: home)), "
                + "spi: \(Self.spi(home: home, site: hypervisor.site)), key-file: \(keyFile(home: home, site: hypervisor.site)) }\n"
        }
        return text
    }
}
