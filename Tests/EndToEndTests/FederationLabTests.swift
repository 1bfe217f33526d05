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

        /// What a migrated VM sends as it resumes on its new host: `count` RARP announces
        /// (QEMU sends five) and the guest's gratuitous ARP.
        func announce(_ vm: VMProfile, count: Int = 5) async throws {
            let namespace = vms[vm.name]!.namespace
            let run = try await topology.run(namespace, [tools.lab.probe, "announce", "--interface", "eth0", "--mac", vm.mac,
                                                         "--count", "\(count)", "--interval-ms", "20", "--guest-address", vm.address])
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

        /// When each move unplugged a VM until its first announce, in wall-clock seconds:
        /// the namespace VMs' equivalent of QEMU's downtime (QEMU announces as it resumes).
        var moves: [(vm: String, from: Double, to: Double)] = []

        /// Moves `vm` to `hypervisor` as a migration does (the port, then the announce), and
        /// tells the host it left as the libvirt hook's `release` does. Make-before-break
        /// first tells the destination, as the hook does at `migrate begin`, and requires it
        /// prepared: `prepared` at a foreign site, `returning` at home.
        func migrate(_ vm: VMProfile, to hypervisor: Hypervisor, prepare: Bool = false,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let veth = vms[vm.name]!
            let left = veth.hypervisor
            if prepare {
                let incoming = try await agents.notify("incoming", vm.mac, at: hypervisor)
                let home = hypervisor.site == (vm == FederationLabTests.a1 ? 1 : 2)
                #expect(incoming.succeeded && incoming.standardOutput.isEmpty,
                        "notify incoming at \(hypervisor): \(incoming.standardOutput) \(incoming.standardError)",
                        sourceLocation: sourceLocation)
                let state = try await agents.status(hypervisor)[vm.mac]
                #expect(state == (home ? "returning" : "prepared"), "prepared at \(hypervisor): \(state ?? "none")",
                        sourceLocation: sourceLocation)
            }
            let unplugged = Date().timeIntervalSince1970
            try await topology.move(veth, to: hypervisor)
            try await announce(vm, count: 1)
            moves.append((vm.name, unplugged, Date().timeIntervalSince1970))
            try await announce(vm, count: 4)
            let release = try await agents.notify("departed", vm.mac, at: left)
            #expect(release.succeeded, "notify departed at \(left): \(release.standardOutput) \(release.standardError)",
                    sourceLocation: sourceLocation)
        }

        /// Starts `glm-wan probe` from each correspondent to each VM, every 2 ms.
        func startProbers() async throws -> [(name: String, file: String, process: ChildProcess)] {
            var probers: [(name: String, file: String, process: ChildProcess)] = []
            for vm in [FederationLabTests.a1, FederationLabTests.b1] {
                for site in topology.sites {
                    let name = "cn\(site)-\(vm.name)"
                    let file = topology.file("\(name).probe")
                    let process = try topology.spawn(topology.namespace(of: .correspondent(site: site)),
                                                     [tools.wan, "probe", "--target", vm.address, "--interval-ms", "2",
                                                      "--output", file])
                    let started = await waitUntil(timeout: .seconds(10)) { process.standardOutput.contains("probing") }
                    try #require(started, "prober \(name): \(process.standardError)")
                    probers.append((name, file, process))
                }
            }
            return probers
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

    static let route: [(VMProfile, Hypervisor)] = [(a1, B1), (b1, A2), (a1, B2), (a1, A2), (b1, B2)]

    /// The route from both VMs at home: after each step, the placement everywhere, exactly
    /// one binding change, and pings both ways between each VM and each correspondent.
    static func run(_ f: Federation, prepare: Bool) async throws {
        // Both VMs start at home: each hypervisor registers its VM's announce and its own
        // home agent says it is home.
        try await f.announce(Self.a1)
        try await f.announce(Self.b1)
        let start = Self.expected(a1: Self.A1, b1: Self.B1)
        var reached = await waitUntil(timeout: .seconds(5)) { (try? await f.placement()) == start }
        var now = (try? await f.placement())?.description ?? "?"
        #expect(reached, "at home: \(now)")
        try await f.pingEverything()

        var a1At = Self.A1, b1At = Self.B1
        for (vm, destination) in Self.route {
            let before = try await f.agents.allBindings()
            try await f.migrate(vm, to: destination, prepare: prepare)
            if vm == Self.a1 { a1At = destination } else { b1At = destination }
            let expected = Self.expected(a1: a1At, b1: b1At)
            reached = await waitUntil(timeout: .seconds(5)) { (try? await f.placement()) == expected }
            now = (try? await f.placement())?.description ?? "?"
            #expect(reached, "\(vm.name) → \(destination): \(now), expected \(expected)")
            let after = try await f.agents.allBindings()
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            #expect(changed == [vm.mac], "exactly one binding changed, \(vm.name)'s: \(before) → \(after)")
            try await f.pingEverything()
        }
    }

    @Test("a1 A1 → B1, b1 B1 → A2, a1 B1 → B2, a1 B2 → A2 (home), b1 A2 → B2 (home): one binding change a step, traffic both ways, no stray ARP")
    func crossing() async throws {
        guard let tools = Self.tools() else { return }
        let f = try await Federation(tools)
        defer { f.topology.remove() }
        try await Self.run(f, prepare: false)

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

    @Test("the same route in make-before-break mode: each destination prepared first (a return home over the network), no probe lost outside the moves")
    func crossingPrepared() async throws {
        guard let tools = Self.tools() else { return }
        let f = try await Federation(tools)
        defer { f.topology.remove() }
        let probers = try await f.startProbers()
        try await Self.run(f, prepare: true)
        for prober in probers { prober.process.signal(SIGTERM) }
        // A probe may be lost only while its VM's port was unplugged, or on its way there
        // (at most 12 ms one way: a correspondent, its gateway, the WAN, the VM's home agent,
        // the WAN again).
        let margin = 0.015
        for prober in probers {
            #expect(await prober.process.waitForExit(timeout: .seconds(10)), "prober \(prober.name) stops")
            let log = try ProbeLog(contentsOfFile: prober.file)
            let vm = String(prober.name.split(separator: "-")[1])
            let windows = f.moves.filter { $0.vm == vm }
            let lost = log.probes.filter { !$0.isAnswered }
            let outside = lost.filter { probe in
                let sent = Double(probe.sent) / 1e9
                return !windows.contains { sent >= $0.from - margin && sent <= $0.to }
            }
            #expect(log.probes.count > 1000, "\(prober.name) probed the whole route: \(log.probes.count)")
            // Runs of lost probes: when each began (s after the first probe) and how many.
            let origin = Double(log.probes.first?.sent ?? 0) / 1e9
            var runs: [(at: Double, count: Int)] = []
            var previous: UInt32 = 0
            for probe in outside {
                if let last = runs.indices.last, probe.number == previous + 1 { runs[last].count += 1 }
                else { runs.append(((Double(probe.sent) / 1e9 - origin).rounded(toPlaces: 3), 1)) }
                previous = probe.number
            }
            let moves = windows.map { (($0.from - origin).rounded(toPlaces: 3), ($0.to - origin).rounded(toPlaces: 3)) }
            let outsideCount = outside.count
            #expect(outsideCount == 0, "\(prober.name): \(outsideCount) of \(log.probes.count) lost outside the moves (\(lost.count) in all); runs \(runs), moves \(moves)")
            print("federation make-before-break \(prober.name): \(log.probes.count) probes, \(lost.count) lost, "
                  + "\(outside.count) outside the moves")
        }
        let statuses = await f.agents.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "every agent stops cleanly on SIGTERM: \(statuses)")
    }

    /// The value of a Prometheus series in a scrape, 0 when it is absent.
    static func value(_ series: String, in scrape: String) -> Double {
        scrape.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
    }

    @Test("loud failures: a VM no home agent lists, then a key mismatch, each in notify, status, a metric and a warning; a VM added at home is served abroad with no change there")
    func loudFailures() async throws {
        guard let tools = Self.tools() else { return }
        let f = try await Federation(tools)
        defer { f.topology.remove() }
        let c1 = VMProfile(name: "c1", mac: "52:54:00:01:00:07", address: "10.1.0.57", gateway: "10.1.0.1")
        f.vms[c1.name] = try await f.topology.attachVethVM(name: "c1", mac: c1.mac, address: "\(c1.address)/24",
                                                           gateway: c1.gateway, at: Self.B2)
        let siteFile = try String(contentsOfFile: f.agents.siteAgentFile(Self.B2), encoding: .utf8)

        // Nobody lists c1: the hook's notify fails, naming each home agent's refusal.
        let stranger = try await f.agents.notify("arrived", c1.mac, at: Self.B2)
        #expect(!stranger.succeeded, "notify arrived for a VM nobody lists must fail")
        #expect(stranger.standardOutput.contains("no home agent accepts \(c1.mac)")
                && stranger.standardOutput.contains("ha-a: 153") && stranger.standardOutput.contains("ha-b: 153"),
                "\(stranger.standardOutput)")
        #expect(try await f.agents.status(Self.B2)[c1.mac] == "unanchored")
        var scrape = try await f.agents.metrics(Self.B2)
        #expect(Self.value("glm_site_unanchored_total", in: scrape) >= 1, "\(scrape)")
        let b2 = try #require(f.agents.siteAgent(Self.B2))
        #expect(b2.standardError.contains("no home agent accepts the VM") && b2.standardError.contains("warning"),
                "\(b2.standardError.suffix(800))")

        // Site A's operator adds c1 to its home agent (SIGHUP); nothing changes at site B.
        let homeFile = f.agents.homeAgentFile(1)
        let home = try String(contentsOfFile: homeFile, encoding: .utf8)
        try (home + "  - { mac: \"\(c1.mac)\", name: c1, address: \(c1.address)/24, gateway: \(c1.gateway) }\n")
            .write(toFile: homeFile, atomically: true, encoding: .utf8)
        let ha1 = try #require(f.agents.homeAgent(1))
        ha1.signal(SIGHUP)
        #expect(await waitUntil(timeout: .seconds(5)) { ha1.standardError.contains("configuration reloaded") },
                "\(ha1.standardError.suffix(600))")
        try await f.announce(c1)
        let served = await waitUntil(timeout: .seconds(5)) {
            let state = (try? await f.agents.status(Self.B2))?[c1.mac]
            let binding = (try? await f.agents.bindings(site: 1))?[c1.mac]?.description
            return state == "served" && binding == Self.binding(Self.B2)
        }
        #expect(served, "c1 served at B2 and bound at ha-a")
        let run = try await f.topology.run(f.topology.namespace(of: .correspondent(site: 1)),
                                           [tools.lab.ping, "-c", "3", "-i", "0.05", "-W", "2", c1.address], timeout: .seconds(10))
        #expect(run.succeeded, "cn1 → c1: \(run.standardOutput)")
        #expect(try String(contentsOfFile: f.agents.siteAgentFile(Self.B2), encoding: .utf8) == siteFile,
                "site B's files are untouched")

        // Home agent B gets another key for site B than site B's hypervisors have (SIGHUP):
        // b1's registration at B1 is refused 146, signed with a key B1 cannot verify.
        let keyFile = f.agents.keyFile(home: 2, site: 2)
        try (String(repeating: "5a", count: 32) + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
        // Still private: the agent refuses a key file other users may read.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        let ha2 = try #require(f.agents.homeAgent(2))
        ha2.signal(SIGHUP)
        #expect(await waitUntil(timeout: .seconds(5)) { ha2.standardError.contains("configuration reloaded") },
                "\(ha2.standardError.suffix(600))")
        let mismatch = try await f.agents.notify("arrived", Self.b1.mac, at: Self.B1)
        #expect(!mismatch.succeeded && mismatch.standardOutput.contains("ha-b: 146"), "\(mismatch.standardOutput)")
        let b1Status = try await ProgramRun.run(tools.programs.siteAgent, ["status", "--socket", f.agents.siteAgentSocket(Self.B1)])
        #expect(b1Status.standardOutput.contains("ha-b: 146 (authentication-failed)"), "\(b1Status.standardOutput)")
        scrape = try await f.agents.metrics(Self.B1)
        #expect(Self.value("glm_site_refusals_total{home_agent=\"ha-b\",status=\"authentication-failed\"}", in: scrape) >= 1,
                "\(scrape)")
        let hv21 = try #require(f.agents.siteAgent(Self.B1))
        #expect(hv21.standardError.contains("registration refused") && hv21.standardError.contains("ha-b"),
                "\(hv21.standardError.suffix(800))")
        await f.agents.stop()
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = Foundation.pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
