import Foundation
import LabNetwork
import LabScenario
import LabSupport
import Testing

/// Two sites, A and B, each the home of one VM and a host for the other's: a home agent
/// on each site's home-agent host, a site agent on each of its two hypervisors (their
/// bridges joined to the site's LAN by an uplink), the WAN delay line at 3 ms one way
/// per site. Every file is an operator's: the site agents list the two home agents and
/// no VM; the home agents list the two sites by prefix and their own VM.
///
/// The VMs are namespace VMs whose ports move between hypervisors' bridges as a live
/// migration moves a tap, each arrival followed by what a migrated QEMU VM sends (five
/// RARP announces and the guest's gratuitous ARP), and the libvirt hook's `release` at
/// the host left. After every step: exactly one binding change, each VM pings both
/// sites' correspondents and they ping it, both home agents' bindings and every site
/// agent's status are as they should be, and no host answered ARP on a LAN for what is
/// not its own.
@Suite("A federation of two sites with two hypervisors each, VMs of both homes crossing", .serialized)
struct FederationLabTests {
    typealias Topology = FederationTopology
    typealias Hypervisor = FederationTopology.Hypervisor

    static let a1 = VMProfile(name: "a1", mac: "52:54:00:01:00:01", address: "10.1.0.50", gateway: "10.1.0.1")
    static let b1 = VMProfile(name: "b1", mac: "52:54:00:02:00:01", address: "10.2.0.50", gateway: "10.2.0.1")
    static let A1 = Hypervisor(site: 1, index: 1), A2 = Hypervisor(site: 1, index: 2)
    static let B1 = Hypervisor(site: 2, index: 1), B2 = Hypervisor(site: 2, index: 2)

    struct Tools {
        let lab: TestEnvironment.LabTools
        let wan: String
        let tcpdump: String
        let programs: LabAgents.Programs
    }

    static func tools(sourceLocation: SourceLocation = #_sourceLocation) -> Tools? {
        guard let lab = TestEnvironment.labTools(for: "the federation tests", sourceLocation: sourceLocation) else { return nil }
        guard let homeAgent = TestEnvironment.builtExecutable("home-agent"),
              let siteAgent = TestEnvironment.builtExecutable("site-agent"),
              let wan = TestEnvironment.builtExecutable("glm-wan") else {
            _ = TestEnvironment.require(false, "home-agent, site-agent and glm-wan are not built beside the tests "
                                        + "(swift build --build-tests builds them)", sourceLocation: sourceLocation)
            return nil
        }
        guard let tcpdump = TestEnvironment.tool("tcpdump") else {
            _ = TestEnvironment.require(false, "tcpdump is not installed (make test installs it)", sourceLocation: sourceLocation)
            return nil
        }
        return Tools(lab: lab, wan: wan, tcpdump: tcpdump, programs: LabAgents.Programs(homeAgent: homeAgent, siteAgent: siteAgent))
    }

    /// The running federation: its network, the two VMs, the agents, and ARP captures on
    /// both correspondents.
    final class Federation: @unchecked Sendable {
        let topology: Topology
        let agents: FederationAgents
        var vms: [String: Topology.VethVM]
        let captures: [Int: ChildProcess]
        let tools: Tools

        init(_ tools: Tools) async throws {
            self.tools = tools
            topology = try await Topology(ip: tools.lab.ip, siteCount: 2, hypervisorsPerSite: 2,
                                          delayLine: DelayLine.Configuration(sites: 2, siteDelay: .milliseconds(3)),
                                          wanProgram: tools.wan)
            do {
                vms = [:]
                vms[FederationLabTests.a1.name] = try await topology.attachVethVM(
                    name: "a1", mac: FederationLabTests.a1.mac, address: "\(FederationLabTests.a1.address)/24",
                    gateway: FederationLabTests.a1.gateway, at: FederationLabTests.A1)
                vms[FederationLabTests.b1.name] = try await topology.attachVethVM(
                    name: "b1", mac: FederationLabTests.b1.mac, address: "\(FederationLabTests.b1.address)/24",
                    gateway: FederationLabTests.b1.gateway, at: FederationLabTests.B1)
                var captures: [Int: ChildProcess] = [:]
                for site in topology.sites {
                    let process = try topology.spawn(topology.namespace(of: .correspondent(site: site)),
                                                     [tools.tcpdump, "-i", "eth0", "-U", "-w", topology.file("arp-cn\(site).pcap"), "arp"])
                    captures[site] = process
                    _ = await waitUntil(timeout: .seconds(10)) { process.standardError.contains("listening on") }
                }
                self.captures = captures
                agents = try await FederationAgents(topology: topology, programs: tools.programs,
                                                    vms: [1: [FederationLabTests.a1], 2: [FederationLabTests.b1]],
                                                    expectedRoundTrip: .milliseconds(6))
            } catch {
                topology.remove()
                throw error
            }
        }

        /// What a migrated VM sends as it resumes on its new host.
        func announce(_ vm: VMProfile) async throws {
            let namespace = vms[vm.name]!.namespace
            let run = try await topology.run(namespace, [tools.lab.probe, "announce", "--interface", "eth0", "--mac", vm.mac,
                                                         "--count", "5", "--interval-ms", "20", "--guest-address", vm.address])
            try #require(run.succeeded, "announce: \(run.standardError)")
        }

        /// Every home agent's bindings and every hypervisor's status, as one comparable value.
        func placement() async throws -> Placement {
            let bindings = try await agents.allBindings().mapValues(\.description)
            var states: [String: String] = [:]
            for (hypervisor, status) in try await agents.allStatuses() {
                for (mac, state) in status { states["\(mac)@\(hypervisor)"] = state }
            }
            return Placement(bindings: bindings, states: states)
        }

        /// Pings both ways between each VM and each site's correspondent, with the
        /// correspondents' ARP caches flushed first (so their requests are answered anew).
        func pingEverything(sourceLocation: SourceLocation = #_sourceLocation) async throws {
            for site in topology.sites {
                try await topology.command(["-n", topology.namespace(of: .correspondent(site: site)), "neigh", "flush", "dev", "eth0"])
            }
            for vm in [FederationLabTests.a1, FederationLabTests.b1] {
                for site in topology.sites {
                    let correspondent = Topology.correspondentAddress(site: site)
                    for (namespace, target) in [(topology.namespace(of: .correspondent(site: site)), vm.address),
                                                (vms[vm.name]!.namespace, correspondent)] {
                        let run = try await topology.run(namespace, [tools.lab.ping, "-c", "3", "-i", "0.05", "-W", "2", target],
                                                         timeout: .seconds(10))
                        #expect(run.succeeded && run.standardOutput.contains(" 0% packet loss"),
                                "ping \(target) from \(namespace): \(run.standardOutput) \(run.standardError)",
                                sourceLocation: sourceLocation)
                    }
                }
            }
            // An address nobody has: asked, and nobody may answer.
            for site in topology.sites {
                _ = try await topology.run(topology.namespace(of: .correspondent(site: site)),
                                           [tools.lab.ping, "-c", "1", "-W", "1", "10.\(site).0.200"], timeout: .seconds(5))
            }
        }

        /// Moves `vm` to `hypervisor` as a migration does (the port, then the announce), and
        /// tells the host it left as the libvirt hook's `release` does.
        func migrate(_ vm: VMProfile, to hypervisor: Hypervisor) async throws {
            let veth = vms[vm.name]!
            let left = veth.hypervisor
            try await topology.move(veth, to: hypervisor)
            try await announce(vm)
            let release = try await agents.notify("departed", vm.mac, at: left)
            #expect(release.succeeded, "notify departed at \(left): \(release.standardOutput) \(release.standardError)")
        }

        /// The ARP replies the correspondents received: (sender address, sender MAC).
        func arpReplies() async throws -> [Int: [(address: String, mac: String)]] {
            for (_, capture) in captures {
                capture.signal(SIGTERM)
                _ = await capture.waitForExit(timeout: .seconds(5))
            }
            var replies: [Int: [(address: String, mac: String)]] = [:]
            for site in topology.sites {
                let run = try await ProgramRun.run(tools.tcpdump, ["-nn", "-r", topology.file("arp-cn\(site).pcap")])
                for line in run.standardOutput.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    guard let reply = words.firstIndex(of: "Reply"), reply + 3 < words.count, words[reply + 2] == "is-at" else { continue }
                    replies[site, default: []].append((String(words[reply + 1]), String(words[reply + 3]).trimmingCharacters(in: [","])))
                }
            }
            return replies
        }
    }

    struct Placement: Equatable, CustomStringConvertible {
        /// VM MAC → site@host at its home agent.
        var bindings: [String: String]
        /// "MAC@hypervisor" → state, for every VM every site agent knows.
        var states: [String: String]

        var description: String {
            "bindings \(bindings.sorted { $0.key < $1.key }), states \(states.sorted { $0.key < $1.key })"
        }
    }

    static func binding(_ hypervisor: Hypervisor) -> String {
        "site-\(String(Topology.letter(site: hypervisor.site)).lowercased())@\(hypervisor.wanAddress)"
    }

    /// The placement after a step, given where each VM is: a VM at home has no binding and
    /// is `home` on its hypervisor; a VM away is bound to its hypervisor and `served` there.
    static func expected(a1 at: Hypervisor, b1 bAt: Hypervisor) -> Placement {
        var bindings: [String: String] = [:]
        var states: [String: String] = [:]
        for (vm, host, homeSite) in [(a1, at, 1), (b1, bAt, 2)] {
            if host.site == homeSite {
                states["\(vm.mac)@\(host)"] = "home"
            } else {
                bindings[vm.mac] = binding(host)
                states["\(vm.mac)@\(host)"] = "served"
            }
        }
        return Placement(bindings: bindings, states: states)
    }

    @Test("a1 A1 → B1, b1 B1 → A2, a1 B1 → B2, a1 B2 → A2 (home), b1 A2 → B2 (home): one binding change a step, traffic both ways, no stray ARP")
    func crossing() async throws {
        guard let tools = Self.tools() else { return }
        let f = try await Federation(tools)
        defer { f.topology.remove() }

        // Both VMs start at home: each hypervisor registers its VM's announce and its own
        // home agent says it is home.
        try await f.announce(Self.a1)
        try await f.announce(Self.b1)
        var last = Self.expected(a1: Self.A1, b1: Self.B1)
        var reached = await waitUntil(timeout: .seconds(5)) { (try? await f.placement()) == last }
        var now = (try? await f.placement())?.description ?? "?"
        #expect(reached, "at home: \(now)")
        try await f.pingEverything()

        let route: [(VMProfile, Hypervisor)] = [(Self.a1, Self.B1), (Self.b1, Self.A2), (Self.a1, Self.B2), (Self.a1, Self.A2),
                                                (Self.b1, Self.B2)]
        var a1At = Self.A1, b1At = Self.B1
        for (vm, destination) in route {
            let before = try await f.agents.allBindings()
            try await f.migrate(vm, to: destination)
            if vm == Self.a1 { a1At = destination } else { b1At = destination }
            let expected = Self.expected(a1: a1At, b1: b1At)
            reached = await waitUntil(timeout: .seconds(5)) { (try? await f.placement()) == expected }
            now = (try? await f.placement())?.description ?? "?"
            #expect(reached, "\(vm.name) → \(destination): \(now), expected \(expected)")
            let after = try await f.agents.allBindings()
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            #expect(changed == [vm.mac], "exactly one binding changed, \(vm.name)'s: \(before) → \(after)")
            try await f.pingEverything()
            last = expected
        }

        // No hypervisor answered ARP on a LAN: every reply seen at a correspondent came from
        // its site's home-agent host (the gateway, itself, a VM away), from a VM itself,
        // or from the correspondent answering for its own address.
        func mac(_ namespace: String, _ link: String) async throws -> String {
            let text = try await f.topology.output(["-n", namespace, "link", "show", link])
            return text.split(separator: " ").drop { $0 != "link/ether" }.dropFirst().first.map(String.init) ?? "?"
        }
        var allowed: [Int: Set<String>] = [:]
        for site in f.topology.sites {
            allowed[site] = [try await mac(f.topology.namespace(of: .homeAgent(site: site)), Topology.homeBridge),
                             try await mac(f.topology.namespace(of: .correspondent(site: site)), "eth0"), Self.a1.mac, Self.b1.mac]
        }
        let replies = try await f.arpReplies()
        #expect(!(replies[1] ?? []).isEmpty && !(replies[2] ?? []).isEmpty, "the correspondents asked and were answered")
        for (site, answers) in replies {
            let stray = answers.filter { !(allowed[site] ?? []).contains($0.mac) }
            #expect(stray.isEmpty, "site \(site)'s correspondent got ARP replies from a hypervisor: \(stray)")
            #expect(!answers.contains { $0.address == "10.\(site).0.200" }, "an unused address was answered")
        }
        let statuses = await f.agents.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "every agent stops cleanly on SIGTERM: \(statuses)")
    }
}
