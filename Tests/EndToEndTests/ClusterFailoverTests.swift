import AgentRuntime
import Foundation
import GLMControl
import HomeAgentRuntime
import LabNetwork
import LabSupport
import Testing

/// Site A's home agents as a cluster: two members on its LAN and WAN segment, a
/// three-member etcd on its LAN, all real processes in the federation lab's namespaces.
/// Site A's VM is away at hypervisor B1 (site B) and probed from A's correspondent
/// every millisecond when the member serving it crashes (every process of its
/// namespace killed, its links down): the other member takes the service address and
/// the VM over from etcd, and the VM's traffic resumes with its binding unchanged.
@Suite("Home agents as a cluster on etcd", .serialized)
struct ClusterFailoverTests {
    typealias Topology = FederationTopology
    static let vm = (mac: "52:54:00:01:00:01", address: "10.1.0.50", gateway: "10.1.0.1")
    static let B1 = Topology.Hypervisor(site: 2, index: 1)
    /// VMs that only a registration stream from B1 registers (no traffic): 52:54:00:02:00:01
    /// and up, at 10.1.0.101 and up.
    static let streamVMs = 16
    static let streamVMsYAML = (1...streamVMs).map {
        "  - { mac: \"52:54:00:02:00:\(String(format: "%02x", $0))\", address: 10.1.0.\(100 + $0)/24, gateway: \(vm.gateway) }"
    }.joined(separator: "\n")

    struct Tools {
        let lab: TestEnvironment.LabTools
        let homeAgent: String
        let siteAgent: String
        let wan: String
    }

    static func tools(sourceLocation: SourceLocation = #_sourceLocation) -> Tools? {
        guard let lab = TestEnvironment.labTools(for: "the cluster tests", sourceLocation: sourceLocation) else { return nil }
        guard TestEnvironment.require(EtcdCluster.etcdPath != nil && EtcdCluster.etcdctlPath != nil,
                                      "etcd is not installed (scripts/install-deps.sh installs etcd-server and etcd-client)",
                                      sourceLocation: sourceLocation) else { return nil }
        guard let homeAgent = TestEnvironment.builtExecutable("home-agent"),
              let siteAgent = TestEnvironment.builtExecutable("site-agent"),
              let wan = TestEnvironment.builtExecutable("glm-wan") else {
            _ = TestEnvironment.require(false, "home-agent, site-agent and glm-wan are not built beside the tests "
                                        + "(swift build --build-tests builds them)", sourceLocation: sourceLocation)
            return nil
        }
        return Tools(lab: lab, homeAgent: homeAgent, siteAgent: siteAgent, wan: wan)
    }

    /// The lab: the network, etcd, both members, B1's site agent and the VM at B1.
    final class Cluster: @unchecked Sendable {
        let topology: Topology
        let etcd: EtcdCluster
        let tools: Tools
        var members: [String: ChildProcess] = [:]
        var siteAgent: ChildProcess?
        let vm: Topology.VethVM

        static let memberNames = ["hm11", "hm12"]

        init(_ tools: Tools) async throws {
            self.tools = tools
            let topology = try await Topology(ip: tools.lab.ip, siteCount: 2, hypervisorsPerSite: 1,
                                              cluster: Topology.ClusterLayout(members: 2, etcdMembers: 3))
            self.topology = topology
            do {
                let hosts = topology.etcdHosts
                etcd = try await EtcdCluster.start(
                    members: hosts.count,
                    addresses: (1...hosts.count).map { Topology.etcdAddress(site: 1, index: $0) },
                    commandPrefixes: hosts.map { [tools.lab.ip, "netns", "exec", topology.namespace(of: $0)] },
                    folder: topology.file("etcd"))
                vm = try await topology.attachVethVM(name: "a1", mac: ClusterFailoverTests.vm.mac,
                                                     address: "\(ClusterFailoverTests.vm.address)/24",
                                                     gateway: ClusterFailoverTests.vm.gateway, at: ClusterFailoverTests.B1)
                try writeFiles()
            } catch {
                topology.remove()
                throw error
            }
        }

        func file(_ name: String) -> String { topology.file(name) }

        private func writeFiles() throws {
            func key() -> String { (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined() + "\n" }
            for name in ["cluster.key", "site-a.key", "site-b.key"] {
                try key().write(toFile: file(name), atomically: true, encoding: .utf8)
                // The agents refuse a key file other users may read.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file(name))
            }
            for (index, name) in Self.memberNames.enumerated() {
                let text = """
                    address: \(Topology.clusterServiceAddress(site: 1))
                    home-interface: \(Topology.clusterMemberLANPort)
                    control-socket: \(file("\(name).sock"))
                    metrics: 127.0.0.1:9436
                    log-level: info
                    store: etcd
                    cluster:
                      name: site-a
                      member: \(name)
                      members:
                        - { name: hm11, address: \(Topology.clusterMemberWANAddress(site: 1, index: 1)) }
                        - { name: hm12, address: \(Topology.clusterMemberWANAddress(site: 1, index: 2)) }
                      key-file: \(file("cluster.key"))
                      service-interface: wan0
                      service-prefix-length: 24
                      etcd:
                        endpoints: [\(etcd.clientURLs.joined(separator: ", "))]
                    sites:
                      - { name: site-a, hosts: [198.18.1.8/29], home: true, spi: 300, key-file: \(file("site-a.key")) }
                      - { name: site-b, hosts: [198.18.2.8/29], spi: 301, key-file: \(file("site-b.key")) }
                    vms:
                      - { mac: "\(ClusterFailoverTests.vm.mac)", address: \(ClusterFailoverTests.vm.address)/24, gateway: \(ClusterFailoverTests.vm.gateway) }
                    \(ClusterFailoverTests.streamVMsYAML)

                    """
                _ = index
                try text.write(toFile: file("\(name).yaml"), atomically: true, encoding: .utf8)
            }
            let site = """
                address: \(ClusterFailoverTests.B1.wanAddress)
                bridges: [\(ClusterFailoverTests.B1.bridge)]
                uplinks: [\(ClusterFailoverTests.B1.uplink)]
                control-socket: \(file("b1.sock"))
                metrics: 127.0.0.1:9437
                log-level: info
                home-agents:
                  - { name: ha-a, address: \(Topology.clusterServiceAddress(site: 1)), spi: 301, key-file: \(file("site-b.key")) }

                """
            try site.write(toFile: file("b1.yaml"), atomically: true, encoding: .utf8)
        }

        func startMember(_ name: String) throws {
            let index = Self.memberNames.firstIndex(of: name)! + 1
            let namespace = topology.namespace(of: .clusterMember(site: 1, index: index))
            members[name] = try topology.spawn(namespace, [tools.homeAgent, "run", "--config", file("\(name).yaml")])
        }

        func startSiteAgent() throws {
            siteAgent = try topology.spawn(topology.namespace(of: .hypervisor(ClusterFailoverTests.B1)),
                                           [tools.siteAgent, "run", "--config", file("b1.yaml")])
        }

        /// A member's view of the cluster, from its control socket; nil when it does not answer.
        func status(_ name: String) async -> ClusterStatus? {
            guard let bytes = try? await ControlClient(path: file("\(name).sock")).raw(.cluster) else { return nil }
            return try? JSONDecoder().decode(ClusterStatus.self, from: Data(bytes))
        }

        /// The member serving now, once exactly one of `among` says it serves.
        func servingMember(among names: [String] = memberNames, timeout: Duration = .seconds(20)) async -> String? {
            var serving: String?
            _ = await waitUntil(timeout: timeout) {
                var found: [String] = []
                for name in names where await status(name)?.serving == true { found.append(name) }
                serving = found.count == 1 ? found[0] : nil
                return serving != nil
            }
            return serving
        }

        /// The bindings a member reports (from its daemon or, on a standby, from etcd).
        func bindings(_ name: String) async throws -> String {
            String(decoding: try await ControlClient(path: file("\(name).sock")).raw(.bindings), as: UTF8.self)
        }

        /// The VM's announce as QEMU sends it on resuming at B1.
        func announce() async throws {
            let run = try await topology.run(vm.namespace, [tools.lab.probe, "announce", "--interface", "eth0", "--mac",
                                                            ClusterFailoverTests.vm.mac, "--count", "3", "--interval-ms", "20",
                                                            "--guest-address", ClusterFailoverTests.vm.address])
            try #require(run.succeeded, "announce: \(run.standardError)")
        }

        func logs() -> String {
            members.map { "--- \($0.key)\n\($0.value.standardError.suffix(3000))" }.joined(separator: "\n")
                + "\n--- b1\n\(siteAgent?.standardError.suffix(2000) ?? "")"
        }

        func stop() async {
            for process in members.values { process.terminate(grace: .seconds(3)) }
            siteAgent?.terminate(grace: .seconds(3))
            etcd.stop()
            topology.remove()
        }
    }

    /// Both members started, one serving, the VM registered from B1 and bound.
    static func bound(_ cluster: Cluster) async throws -> (serving: String, standby: String, binding: String) {
        for name in Cluster.memberNames { try cluster.startMember(name) }
        let serving = try #require(await cluster.servingMember(), "no member serves:\n\(cluster.logs())")
        try cluster.startSiteAgent()
        try await Task.sleep(for: .milliseconds(500))
        try await cluster.announce()
        let bound = await waitUntil(timeout: .seconds(10)) {
            (try? await cluster.bindings(serving))?.contains(Self.vm.mac) == true
        }
        try #require(bound, "no binding:\n\(cluster.logs())")
        return (serving, Cluster.memberNames.first { $0 != serving }!, try await cluster.bindings(serving))
    }

    /// Starts the prober from A's correspondent to the VM, every millisecond.
    static func startProber(_ cluster: Cluster, _ tools: Tools, file: String) async throws -> ChildProcess {
        let prober = try cluster.topology.spawn(cluster.topology.namespace(of: .correspondent(site: 1)),
                                                [tools.wan, "probe", "--target", Self.vm.address, "--interval-ms", "1",
                                                 "--output", file])
        try #require(await waitUntil(timeout: .seconds(10)) { prober.standardOutput.contains("probing") })
        return prober
    }

    @Test("the serving member crashes: the other takes the address and the VM over from etcd, and the traffic resumes; the whole cluster restarted keeps every binding")
    func failover() async throws {
        guard let tools = Self.tools() else { return }
        let cluster = try await Cluster(tools)
        do {
            // The VM resumes at B1: B1 registers it with site A's cluster.
            let (first, standby, before) = try await Self.bound(cluster)
            // The standby follows the same binding in etcd, by its watch.
            let followed = await waitUntil(timeout: .seconds(2)) { (try? await cluster.bindings(standby)) == before }
            let standbyBindings = (try? await cluster.bindings(standby)) ?? "none"
            #expect(followed, "the standby's bindings: \(standbyBindings)")
            let probeFile = cluster.file("cn1-a1.probe")
            let prober = try await Self.startProber(cluster, tools, file: probeFile)
            try await Task.sleep(for: .seconds(1))

            let crashedAt = Date().timeIntervalSince1970
            let index = Cluster.memberNames.firstIndex(of: first)! + 1
            try await cluster.topology.crash(.clusterMember(site: 1, index: index))
            let second = await cluster.servingMember(among: [standby], timeout: .seconds(10))
            let tookOver = Date().timeIntervalSince1970
            #expect(second == standby, "the standby did not take over:\n\(cluster.logs())")
            try await Task.sleep(for: .seconds(2))
            prober.signal(SIGTERM)
            _ = await prober.waitForExit(timeout: .seconds(5))

            let after = try await cluster.bindings(standby)
            #expect(after == before, "binding before \(before), after \(after)")
            let log = try ProbeLog(contentsOfFile: probeFile)
            let gap = try #require(log.longestGap)
            let crashNanoseconds = Int64(crashedAt * 1e9)
            let takeoverMilliseconds = Int((tookOver - crashedAt) * 1000)
            let gapMilliseconds = Double(gap.nanoseconds) / 1e6
            let lost = "\(gap.lostProbes) probes lost of \(log.lostCount) lost in all, \(log.sentCount) sent, \(log.duplicates) duplicates"
            print("cluster failover: member \(first) crashed, \(standby) served \(takeoverMilliseconds) ms later (control-socket poll); traffic gap \(gapMilliseconds) ms, \(lost)")
            #expect(gap.after.sent > crashNanoseconds - 50_000_000, "the longest gap \(gap) is not the crash")
            #expect(gap.lostProbes == log.lostCount, "probes lost outside the failover's gap")
            #expect(gap.nanoseconds < 2_000_000_000, "the traffic resumed within 2 s, not \(gap.nanoseconds / 1_000_000) ms")
            #expect(log.duplicates == 0, "two members answered for the VM")
            // The restart counter is the cluster's: B1 sees no restart and registers nothing again.
            let siteLog = cluster.siteAgent?.standardError ?? ""
            #expect(!siteLog.contains("home agent restarted"), "\(siteLog.suffix(1500))")
            let status = await cluster.status(standby)
            #expect(status?.serving == true && status?.owner == standby && status?.peers.first?.up == false,
                    "\(String(describing: status))")

            // The whole cluster restarted: the crashed machine back, both members stopped
            // and started again; every binding comes back from etcd and the VM answers.
            try await cluster.topology.command(["-n", cluster.topology.namespace(of: .clusterMember(site: 1, index: index)),
                                                "link", "set", "wan0", "up"])
            try await cluster.topology.command(["-n", cluster.topology.namespace(of: .clusterMember(site: 1, index: index)),
                                                "link", "set", "lan0", "up"])
            try await cluster.topology.command(["-n", cluster.topology.namespace(of: .clusterMember(site: 1, index: index)),
                                                "route", "replace", "default", "via", Topology.wanGateway(site: 1)])
            for process in cluster.members.values { process.terminate(grace: .seconds(5)) }
            for name in Cluster.memberNames { try cluster.startMember(name) }
            let restarted = try #require(await cluster.servingMember(), "no member serves after the restart:\n\(cluster.logs())")
            #expect(try await cluster.bindings(restarted) == before, "the bindings after the cluster's restart")
            let ping = try await cluster.topology.run(cluster.topology.namespace(of: .correspondent(site: 1)),
                                                      [tools.lab.ping, "-c", "5", "-i", "0.1", "-W", "2", Self.vm.address],
                                                      timeout: .seconds(10))
            #expect(ping.succeeded, "the VM does not answer after the cluster's restart: \(ping.standardOutput)")
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.stop()
    }

    @Test("registrations go on through a crash of the serving member: every binding acknowledged before, during or after it is in the new owner's cache")
    func registrationsThroughFailover() async throws {
        guard let tools = Self.tools() else { return }
        let cluster = try await Cluster(tools)
        do {
            for name in Cluster.memberNames { try cluster.startMember(name) }
            let first = try #require(await cluster.servingMember(), "no member serves:\n\(cluster.logs())")
            let standby = try #require(Cluster.memberNames.first { $0 != first })
            // B1 registers 16 VMs in turn, one PBU every 5 ms, for 5 s; the owner crashes
            // 1.5 s in, while PBUs are in flight and commits under way.
            let key = try String(contentsOfFile: cluster.file("site-b.key"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let stream = try cluster.topology.spawn(
                cluster.topology.namespace(of: .hypervisor(Self.B1)),
                [tools.lab.probe, "register-stream", "--from", Self.B1.wanAddress, "--to", Topology.clusterServiceAddress(site: 1),
                 "--source-port", "5500", "--spi", "301", "--key", key, "--mac", "52:54:00:02:00:01",
                 "--count", "\(Self.streamVMs)", "--interval-ms", "5", "--duration-s", "5"])
            try await Task.sleep(for: .milliseconds(1500))
            let index = Cluster.memberNames.firstIndex(of: first)! + 1
            try await cluster.topology.crash(.clusterMember(site: 1, index: index))
            let second = await cluster.servingMember(among: [standby], timeout: .seconds(10))
            #expect(second == standby, "the standby did not take over:\n\(cluster.logs())")
            #expect(await stream.waitForExit(timeout: .seconds(15)), "the registration stream did not end")

            let output = stream.standardOutput
            var acknowledged: [String: Int] = [:]
            for line in output.split(separator: "\n") where line.hasPrefix("acknowledged ") {
                let fields = line.split(separator: " ")
                acknowledged[String(fields[1])] = Int(fields[2])
            }
            let summary = output.split(separator: "\n").last { $0.hasPrefix("sent ") }.map(String.init) ?? "no summary"
            print("cluster failover under registrations: \(summary)")
            #expect(acknowledged.count == Self.streamVMs, "VMs acknowledged: \(acknowledged.count)\n\(output.suffix(1500))")
            #expect(summary.contains("refused 0"), "\(summary)")

            // The new owner restored the bindings from its mirror (the watch), not by reading etcd again.
            let standbyLog = cluster.members[standby]?.standardError ?? ""
            #expect(standbyLog.contains("restored_from=mirror"), "\(standbyLog.suffix(2000))")
            let answer = try await ControlClient(path: cluster.file("\(standby).sock")).raw(.bindings)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [[String: Any]])
            var cached: [String: Int] = [:]
            for row in rows { if let vm = row["vm"] as? String { cached[vm] = row["sequenceNumber"] as? Int } }
            for (vm, sequence) in acknowledged.sorted(by: { $0.key < $1.key }) {
                // The cache holds the last acknowledged update or a later one (committed, its PBA lost in the crash).
                #expect((cached[vm] ?? -1) >= sequence, "VM \(vm): acknowledged update \(sequence), cache has \(cached[vm].map(String.init) ?? "nothing")")
            }
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.stop()
    }

    @Test("members cut off from each other only: the owner loses its lease and stops before the other serves; never two at once")
    func partitionBetweenMembers() async throws {
        guard let tools = Self.tools() else { return }
        let cluster = try await Cluster(tools)
        do {
            let (first, standby, before) = try await Self.bound(cluster)
            let probeFile = cluster.file("partition.probe")
            let prober = try await Self.startProber(cluster, tools, file: probeFile)
            try await Task.sleep(for: .seconds(1))
            // The standby hears nothing of the owner from here on; both still reach etcd.
            let index = Cluster.memberNames.firstIndex(of: standby)! + 1
            let namespace = cluster.topology.namespace(of: .clusterMember(site: 1, index: index))
            for rule in [["add", "table", "inet", "partition"],
                         ["add", "chain", "inet", "partition", "input", "{ type filter hook input priority 0 ; }"],
                         ["add", "rule", "inet", "partition", "input", "udp", "dport", "5438", "drop"]] {
                let run = try await cluster.topology.run(namespace, ["nft"] + rule)
                try #require(run.succeeded, "nft \(rule): \(run.standardError)")
            }
            // Sample both members' word until the standby serves.
            var lastOldServing = Date().timeIntervalSince1970
            var firstNewServing: Double?
            var both = 0
            let deadline = Date().timeIntervalSince1970 + 10
            while firstNewServing == nil, Date().timeIntervalSince1970 < deadline {
                async let old = cluster.status(first)
                async let new = cluster.status(standby)
                let (oldStatus, newStatus) = await (old, new)
                let now = Date().timeIntervalSince1970
                if oldStatus?.serving == true { lastOldServing = now }
                if newStatus?.serving == true { firstNewServing = now }
                if oldStatus?.serving == true, newStatus?.serving == true { both += 1 }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .seconds(1))
            prober.signal(SIGTERM)
            _ = await prober.waitForExit(timeout: .seconds(5))
            let takeover = try #require(firstNewServing, "the standby did not take over:\n\(cluster.logs())")
            let log = try ProbeLog(contentsOfFile: probeFile)
            let gap = try #require(log.longestGap)
            print("cluster partition between members: \(first) stopped serving \(Int((takeover - lastOldServing) * 1000)) ms "
                  + "before \(standby) served (samples every 5 ms); traffic gap \(Double(gap.nanoseconds) / 1e6) ms, "
                  + "\(log.lostCount) probes lost, \(log.duplicates) duplicates")
            #expect(both == 0, "both members said they served, \(both) times")
            #expect(lastOldServing < takeover)
            #expect(log.duplicates == 0, "two members answered for the VM")
            #expect(try await cluster.bindings(standby) == before)
            let oldStatus = await cluster.status(first)
            #expect(oldStatus?.serving == false && oldStatus?.owner == standby, "\(String(describing: oldStatus))")

            // The partition heals; then the new owner's machine dies: the first member serves
            // a second term in the same process, its data plane installed anew.
            _ = try await cluster.topology.run(namespace, ["nft", "delete", "table", "inet", "partition"])
            let healed = await waitUntil(timeout: .seconds(5)) { await cluster.status(first)?.peers.first?.up == true }
            #expect(healed, "the members do not hear each other again")
            try await cluster.topology.crash(.clusterMember(site: 1, index: index))
            let again = await cluster.servingMember(among: [first], timeout: .seconds(10))
            #expect(again == first, "the first member did not serve again:\n\(cluster.logs())")
            let ping = try await cluster.topology.run(cluster.topology.namespace(of: .correspondent(site: 1)),
                                                      [tools.lab.ping, "-c", "5", "-i", "0.1", "-W", "2", Self.vm.address],
                                                      timeout: .seconds(10))
            #expect(ping.succeeded, "the VM does not answer after the second takeover: \(ping.standardOutput)\n\(cluster.logs())")
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.stop()
    }

    @Test("the owner cut off from etcd alone hands over; the LAN's ARP replies for the VM come from one member, then the other, never both")
    func ownerCutOffFromEtcd() async throws {
        guard let tools = Self.tools() else { return }
        guard let tcpdump = TestEnvironment.tool("tcpdump") else {
            _ = TestEnvironment.require(false, "tcpdump is not installed (make test installs it)")
            return
        }
        let cluster = try await Cluster(tools)
        do {
            let (first, standby, before) = try await Self.bound(cluster)
            let correspondent = cluster.topology.namespace(of: .correspondent(site: 1))
            let captureFile = cluster.file("cn1-arp.pcap")
            let capture = try cluster.topology.spawn(correspondent, [tcpdump, "-i", "eth0", "-U", "-w", captureFile, "arp"])
            try #require(await waitUntil(timeout: .seconds(10)) { capture.standardError.contains("listening on") })
            // The correspondent asks for the VM's MAC every 10 ms: its entry flushed, the
            // prober's next packet sends an ARP request.
            let asking = try cluster.topology.spawn(correspondent, ["/bin/sh", "-c",
                "while :; do \(tools.lab.ip) neigh flush dev eth0 to \(Self.vm.address); sleep 0.01; done"])
            let prober = try await Self.startProber(cluster, tools, file: cluster.file("cutoff.probe"))
            try await Task.sleep(for: .seconds(1))

            let index = Cluster.memberNames.firstIndex(of: first)! + 1
            let namespace = cluster.topology.namespace(of: .clusterMember(site: 1, index: index))
            let etcdAddresses = (1...3).map { Topology.etcdAddress(site: 1, index: $0) }.joined(separator: ", ")
            for rule in [["add", "table", "inet", "cutoff"],
                         ["add", "chain", "inet", "cutoff", "output", "{ type filter hook output priority 0 ; }"],
                         ["add", "rule", "inet", "cutoff", "output", "ip", "daddr", "{ \(etcdAddresses) }", "drop"]] {
                let run = try await cluster.topology.run(namespace, ["nft"] + rule)
                try #require(run.succeeded, "nft \(rule): \(run.standardError)")
            }
            let cutAt = Date().timeIntervalSince1970
            let second = await cluster.servingMember(among: [standby], timeout: .seconds(15))
            let tookOver = Date().timeIntervalSince1970
            #expect(second == standby, "the standby did not take over:\n\(cluster.logs())")
            try await Task.sleep(for: .seconds(1))
            asking.kill()
            prober.signal(SIGTERM)
            _ = await prober.waitForExit(timeout: .seconds(5))
            capture.signal(SIGTERM)
            _ = await capture.waitForExit(timeout: .seconds(5))

            // Who answered for the VM, when: `-tt` epoch seconds, `-e` the sender's MAC.
            let read = try await ProgramRun.run(tcpdump, ["-tt", "-nn", "-e", "-r", captureFile])
            var answers: [(time: Double, mac: String)] = []
            for line in read.standardOutput.split(separator: "\n") where line.contains("Reply \(Self.vm.address) is-at") {
                let words = line.split(separator: " ")
                guard let time = Double(words[0]), let isAt = words.firstIndex(of: "is-at"), isAt + 1 < words.count else { continue }
                answers.append((time, String(words[isAt + 1]).trimmingCharacters(in: [","])))
            }
            let macs = Array(Set(answers.map(\.mac)))
            #expect(macs.count == 2, "ARP answers for the VM came from \(macs)")
            if macs.count == 2 {
                let firstMAC = answers.first!.mac
                let lastOfFirst = answers.filter { $0.mac == firstMAC }.map(\.time).max()!
                let firstOfSecond = answers.filter { $0.mac != firstMAC }.map(\.time).min()!
                print("cluster owner cut off from etcd: \(standby) served \(Int((tookOver - cutAt) * 1000)) ms after the cut; "
                      + "\(answers.count) ARP replies for the VM, the last from \(first) "
                      + "\(Int((firstOfSecond - lastOfFirst) * 1000)) ms before the first from \(standby)")
                #expect(lastOfFirst < firstOfSecond, "both members answered ARP for the VM at once")
            }
            let oldStatus = await cluster.status(first)
            #expect(oldStatus?.serving == false, "\(String(describing: oldStatus))")
            #expect(try await cluster.bindings(standby) == before)
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.stop()
    }

    @Test("etcd loses one member, then its quorum: the owner serves its bindings on, nobody takes over, and all is as before once etcd is back")
    func etcdQuorumLost() async throws {
        guard let tools = Self.tools() else { return }
        let cluster = try await Cluster(tools)
        do {
            let (first, standby, before) = try await Self.bound(cluster)
            let probeFile = cluster.file("quorum.probe")
            let prober = try await Self.startProber(cluster, tools, file: probeFile)
            try await Task.sleep(for: .seconds(1))
            // One etcd member of three gone (the leader, if it was): nothing changes.
            let leader = (try? await cluster.etcd.leader()) ?? 0
            cluster.etcd.kill(member: leader)
            try await Task.sleep(for: .seconds(1.5))
            let withTwo = await cluster.status(first)
            #expect(withTwo?.serving == true && withTwo?.etcdReachable == true && withTwo?.owner == first,
                    "with two etcd members of three: \(String(describing: withTwo))")
            let other = leader == 0 ? 1 : 0
            cluster.etcd.kill(member: other)
            let lostAt = Date().timeIntervalSince1970
            let unreachable = await waitUntil(timeout: .seconds(5)) {
                let owner = await cluster.status(first)
                let other = await cluster.status(standby)
                return owner?.etcdReachable == false && other?.etcdReachable == false
            }
            #expect(unreachable, "the members still say etcd is reachable")
            try await Task.sleep(for: .seconds(2))
            let during = await cluster.status(first)
            #expect(during?.serving == true, "the owner stopped serving: \(String(describing: during))\n\(cluster.logs())")
            #expect(await cluster.status(standby)?.serving == false)
            try await cluster.etcd.restart(member: leader)
            try await cluster.etcd.restart(member: other)
            let restoredAt = Date().timeIntervalSince1970
            let reachable = await waitUntil(timeout: .seconds(10)) {
                let owner = await cluster.status(first)
                let other = await cluster.status(standby)
                return owner?.etcdReachable == true && other?.etcdReachable == true
            }
            #expect(reachable, "etcd is back, the members do not say so")
            try await Task.sleep(for: .seconds(1))
            prober.signal(SIGTERM)
            _ = await prober.waitForExit(timeout: .seconds(5))
            let log = try ProbeLog(contentsOfFile: probeFile)
            let gap = try #require(log.longestGap)
            print("cluster without etcd quorum for \(Int((restoredAt - lostAt) * 1000)) ms: longest traffic gap "
                  + "\(Double(gap.nanoseconds) / 1e6) ms, \(log.lostCount) probes lost of \(log.sentCount)")
            #expect(log.lostCount == 0, "probes lost while etcd had one member or none less:\n\(cluster.logs())")
            let after = await cluster.status(first)
            #expect(after?.serving == true && after?.owner == first, "\(String(describing: after))")
            #expect(try await cluster.bindings(first) == before)
        } catch {
            Issue.record("\(error)\n\(cluster.logs())")
        }
        await cluster.stop()
    }
}
