import Foundation
import LabNetwork
import LabSupport
import Testing

/// The lab's namespaces without a delay line: every host reaches every other across the
/// WAN core, and the correspondent the home LAN; removal kills what runs inside and
/// leaves nothing behind; a namespace VM answers where it is attached and, moved to a
/// site, sends nothing until it speaks; a TAP device for QEMU joins its bridge. Needs root.
@Suite("Lab topology in network namespaces", .serialized)
struct LabTopologyTests {
    @Test("hosts reach each other across the WAN core without a delay line")
    func hostsReachEachOther() async throws {
        guard let tools = LabPrerequisites() else { return }
        let lab = try await LabTopology(ip: tools.ip, siteCount: 2)
        for (from, to) in [(lab.home, LabTopology.Host.site(2)), (lab.sites[0], .site(2)), (lab.sites[1], .home)] {
            let log = try await tools.probe(to.wanAddress, from: from, in: lab, seconds: 0.2)
            print("no delay line \(from) → \(to): \(log.figures)")
            #expect(log.sentCount > 0 && log.lostCount == 0, "\(from) → \(to): \(log.figures)")
        }
        let log = try await tools.probe(LabTopology.homeLANAddress, from: lab.cn, in: lab, seconds: 0.2)
        #expect(log.sentCount > 0 && log.lostCount == 0, "cn → home: \(log.figures)")
        #expect(await lab.stopDelayLine() == nil)

        try await tools.expectRemovesEverything(lab, runningIn: lab.sites[1])
    }

    @Test("a namespace VM answers at home, and moved to a site sends nothing until it speaks")
    func vethVMMoves() async throws {
        guard let tools = LabPrerequisites() else { return }
        let lab = try await LabTopology(ip: tools.ip, siteCount: 1)
        defer { lab.remove() }
        let mac = "52:54:00:12:34:56"
        let vm = try await lab.attachVethVM(name: "a", mac: mac, address: "10.10.0.50/24", at: .home)
        #expect(vm.host == .home)

        let atHome = try await tools.probe("10.10.0.50", from: lab.cn, in: lab, seconds: 0.2)
        #expect(atHome.sentCount > 0 && atHome.lostCount == 0, "cn → VM at home: \(atHome.figures)")
        #expect(Set(atHome.probes.compactMap(\.ttl)) == [64], "the VM is on cn's LAN")

        try await lab.moveVethVM(vm, to: .site(1))
        #expect(vm.host == .site(1))
        let link = try await lab.output(["-n", lab.sites[0], "-o", "link", "show", vm.port])
        #expect(link.contains("master br0") && link.contains(",UP"), "\(link)")
        #expect(try await lab.output(["-n", lab.home, "-o", "link"]).contains(vm.port) == false)

        // Silent: after a while the site's bridge has still not learnt the VM's MAC...
        try await Task.sleep(for: .milliseconds(300))
        let fdb = { try await ProgramRun.run(tools.bridge, ["-n", lab.sites[0], "fdb", "show", "br", "br0"]).standardOutput }
        let silent = try await fdb()
        #expect(!silent.contains(mac), "the VM spoke unprompted: \(silent)")
        // ...until the VM sends something (an ARP request for its gateway).
        _ = try await lab.run(vm.namespace, [tools.wan, "probe", "--target", LabTopology.vmGateway, "--duration", "0.1",
                                             "--grace", "0", "--output", lab.file("vm-probe.log")])
        let spoken = try await fdb()
        #expect(spoken.contains(mac), "\(spoken)")
    }

    @Test("a TAP device for QEMU is up and a port of its host's bridge")
    func tapJoinsTheBridge() async throws {
        guard let tools = LabPrerequisites() else { return }
        let lab = try await LabTopology(ip: tools.ip, name: "tap-\(getpid())", siteCount: 2)
        defer { lab.remove() }
        #expect(lab.prefix == "glm-tap-\(getpid())")
        for host in [LabTopology.Host.home, .site(2)] {
            try await lab.addTap("tap0", at: host)
            let link = try await lab.output(["-n", lab.namespace(of: host), "-d", "-o", "link", "show", "tap0"])
            #expect(link.contains("master \(host.bridge)") && link.contains("<NO-CARRIER,BROADCAST,MULTICAST,UP>")
                        && link.contains("tun type tap"), "\(host): \(link)")
            try await lab.deleteTap("tap0", at: host)
        }
    }
}
