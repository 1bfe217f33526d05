import Foundation
import GLMWire
import LabNetwork
import LabSupport
import Testing

/// The federation's lab network with no agents: two sites of two hypervisors each. The
/// correspondents reach each other through their home-agent hosts and the WAN core; a
/// VM at home reaches its LAN over layer 2 from either hypervisor of its site, and other
/// sites through its gateway; the delay line holds packets between sites' LANs for both
/// sites' links; removal leaves nothing behind. Needs root.
@Suite("Federation topology in network namespaces", .serialized)
struct FederationTopologyTests {
    typealias Federation = FederationTopology

    @Test("the delay line counts a site's home subnet as the site's link")
    func homeSubnetsAreBehindTheirLinks() throws {
        let configuration = DelayLine.Configuration(sites: 2, siteDelay: .milliseconds(3)).routingHomeSubnets(siteCount: 2)
        let address = { (text: String) in IPv4Address(text)! }
        #expect(configuration.linkNumber(of: address(Federation.correspondentAddress(site: 1))) == 1)
        #expect(configuration.linkNumber(of: address(Federation.correspondentAddress(site: 2))) == 2)
        #expect(configuration.linkNumber(of: address("10.3.0.9")) == nil)
        #expect(configuration.delay(from: address(Federation.correspondentAddress(site: 1)),
                                    to: address(Federation.correspondentAddress(site: 2))) == .milliseconds(6))
        #expect(configuration.delay(from: address(Federation.Hypervisor(site: 1, index: 2).wanAddress),
                                    to: address(Federation.homeAgentWANAddress(site: 2))) == .milliseconds(6))
        #expect(configuration.arguments == ["--link", "home=0.0", "--link", "site1=3.0,network=10.1.0.0/24",
                                            "--link", "site2=3.0,network=10.2.0.0/24"])
        #expect(try DelayLine.Configuration(links: configuration.arguments.filter { $0 != "--link" }) == configuration)
        #expect(configuration.routingHomeSubnets(siteCount: 2) == configuration)
        #expect(throws: DelayLine.ConfigurationError.self) { try DelayLine.Configuration(links: ["site1=3,network=10.1.0.0/33"]) }
    }

    @Test("sites reach each other through their home-agent hosts; a VM reaches its LAN from either hypervisor of its site")
    func sitesAndAVMAtHome() async throws {
        guard let tools = LabPrerequisites() else { return }
        let lab = try await FederationTopology(ip: tools.ip, siteCount: 2, hypervisorsPerSite: 2)
        defer { lab.remove() }
        #expect(lab.hypervisors.map(\.description) == ["A1", "A2", "B1", "B2"])
        let cn1 = lab.namespace(of: .correspondent(site: 1))
        let cn2 = lab.namespace(of: .correspondent(site: 2))

        // Three routers between the correspondents: ha1, the WAN core, ha2.
        for (from, to, name) in [(cn1, 2, "cn1 → cn2"), (cn2, 1, "cn2 → cn1")] {
            let log = try await tools.probe(Federation.correspondentAddress(site: to), from: from, in: lab, seconds: 0.2)
            print("federation \(name): \(log.figures)")
            #expect(log.sentCount > 0 && log.lostCount == 0, "\(name): \(log.figures)")
            #expect(Set(log.probes.compactMap(\.ttl)) == [61], "\(name): routed across the WAN")
        }

        let a1 = Federation.Hypervisor(site: 1, index: 1)
        let a2 = Federation.Hypervisor(site: 1, index: 2)
        let bridge = try await lab.output(["-n", lab.namespace(of: a1), "-o", "link", "show", a1.bridge])
        #expect(bridge.contains("link/ether \(a1.bridgeMAC) "), "\(bridge)")
        let vm = try await lab.attachVethVM(name: "a", mac: "52:54:00:12:34:56", address: "10.1.0.50/24",
                                            gateway: Federation.gateway(site: 1), at: a1)
        #expect(vm.hypervisor == a1)
        for (to, ttl, name) in [(1, 64, "VM at A1 → cn1"), (2, 61, "VM at A1 → cn2")] {
            let log = try await tools.probe(Federation.correspondentAddress(site: to), from: vm.namespace, in: lab, seconds: 0.2)
            print("federation \(name): \(log.figures)")
            #expect(log.sentCount > 0 && log.lostCount == 0, "\(name): \(log.figures)")
            #expect(Set(log.probes.compactMap(\.ttl)) == [UInt8(ttl)], "\(name)")
        }

        try await lab.move(vm, to: a2)
        #expect(vm.hypervisor == a2)
        let link = try await lab.output(["-n", lab.namespace(of: a2), "-o", "link", "show", vm.port])
        #expect(link.contains("master br0") && link.contains(",UP"), "\(link)")
        #expect(try await lab.output(["-n", lab.namespace(of: a1), "-o", "link"]).contains(vm.port) == false)
        let moved = try await tools.probe(Federation.correspondentAddress(site: 1), from: vm.namespace, in: lab, seconds: 0.2)
        print("federation VM at A2 → cn1: \(moved.figures)")
        #expect(moved.sentCount > 0 && moved.lostCount == 0, "VM at A2 → cn1: \(moved.figures)")
        #expect(Set(moved.probes.compactMap(\.ttl)) == [64], "the VM is still on cn1's LAN")

        try await tools.expectRemovesEverything(lab, runningIn: lab.namespace(of: a2))
    }

    @Test("with the delay line, packets between sites' LANs wait for both sites' links")
    func delayLineHoldsPacketsBetweenSites() async throws {
        guard let tools = LabPrerequisites() else { return }
        let lab = try await FederationTopology(ip: tools.ip, siteCount: 2, hypervisorsPerSite: 2,
                                               delayLine: DelayLine.Configuration(sites: 2, siteDelay: .milliseconds(3)),
                                               wanProgram: tools.wan)
        defer { lab.remove() }
        let configuration = try #require(lab.delayLine)
        let oneWay = configuration.delay(from: IPv4Address(Federation.correspondentAddress(site: 1))!,
                                         to: IPv4Address(Federation.correspondentAddress(site: 2))!)
        #expect(oneWay == .milliseconds(6), "3 ms on each site's link")

        let log = try await tools.probe(Federation.correspondentAddress(site: 2), from: lab.namespace(of: .correspondent(site: 1)),
                                        in: lab, seconds: 0.5)
        print("federation delay line cn1 → cn2, 3 ms a link: \(log.figures)")
        let fastest = try #require(log.probes.compactMap(\.roundTrip).min(), "cn1 → cn2: no answer")
        #expect(Duration.nanoseconds(fastest) >= oneWay * 2, "cn1 → cn2: fastest round trip \(Double(fastest) / 1e6) ms")
        let counters = try #require(await lab.stopDelayLine())
        print("federation delay line counters: \(counters)")
        #expect(counters.forwarded >= UInt64(2 * log.answeredCount), "\(counters)")

        lab.remove()
        let left = try await ProgramRun.run(tools.ip, ["netns", "list"]).standardOutput
        #expect(!left.contains(lab.prefix + "-"), "namespaces left behind: \(left)")
    }
}
