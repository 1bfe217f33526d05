import Foundation
import LabSupport
import Testing

/// The tunnel for real, each implementation (user-space, eBPF) with and without
/// segmentation offload: one end in a "home" namespace, one in a "site" namespace (see
/// ``DataPlaneLab``), each a `glm-tunnel-probe tunnel` process started with
/// `ip netns exec`, as the agents will run it. A correspondent on the home LAN and a
/// "VM" behind the site reach each other both ways, full-size packets and a TCP
/// transfer cross, and datagrams that do not come from the route's peer never reach
/// the LAN. Needs root.
@Suite("Data plane in network namespaces", .serialized)
struct DataPlaneNamespaceTests {
    @Test("a correspondent and a VM behind the site talk through the tunnel; spoofing is dropped",
          arguments: ["off", "on"], ["user-space", "ebpf"])
    func tunnelBetweenHomeAndSite(offload: String, implementation: String) throws {
        guard let tools = TestEnvironment.labTools(for: "the data-plane tests") else { return }
        let lab = try DataPlaneLab(ip: tools.ip)
        defer { lab.remove() }

        // cn already caches the VM's address (the VM was at home): the home agent's
        // gratuitous ARP must move that entry to the home host at once.
        try lab.command(["-n", lab.cn, "neigh", "replace", "10.10.0.50", "lladdr", "02:00:00:00:00:50",
                         "dev", "eth0", "nud", "stale"])
        let homeMAC = try lab.output(["-n", lab.home, "-o", "link", "show", "br-home"])
            .components(separatedBy: "link/ether ").dropFirst().first?.prefix(17).description ?? "?"

        let homeCounters = lab.file("home.json")
        let siteCounters = lab.file("site.json")
        let homeEnd = try lab.spawn(lab.home, [tools.probe, "tunnel", "--local", "198.18.0.2", "--offload", offload,
                                               "--implementation", implementation,
                                               "--route", "10.10.0.50/32=198.18.1.2", "--os-routes",
                                               "--proxy-arp", "br-home", "--counters", homeCounters])
        let siteEnd = try lab.spawn(lab.site, [tools.probe, "tunnel", "--local", "198.18.1.2", "--offload", offload,
                                               "--implementation", implementation,
                                               "--route", "10.10.0.9/32=198.18.0.2", "--route", "10.10.0.0/24=198.18.0.2",
                                               "--policy", "10.10.0.50=100", "--counters", siteCounters])
        defer {
            homeEnd.kill()
            siteEnd.kill()
        }
        let started = eventually(timeout: .seconds(10)) {
            FileManager.default.fileExists(atPath: homeCounters) && FileManager.default.fileExists(atPath: siteCounters)
        }
        try #require(started, "tunnel ends did not start: home \(homeEnd.standardError) site \(siteEnd.standardError)")
        #expect(homeEnd.standardOutput.contains("offload \(offload == "on"), \(implementation)"), "\(homeEnd.standardOutput)")

        // The gratuitous ARP arrived: cn's entry for the VM now names the home host.
        let updated = try eventually(timeout: .seconds(3)) {
            try lab.output(["-n", lab.cn, "neigh", "show", "10.10.0.50", "dev", "eth0"]).contains(homeMAC)
        }
        let entry = try lab.output(["-n", lab.cn, "neigh", "show", "10.10.0.50"])
        #expect(updated, "cn's neighbour entry: \(entry), home MAC \(homeMAC)")

        // Both ways, small and full-size (1500-octet packets, DF clear: fragmented at the
        // first hop to fit the 1460 MTU of the tunnel, reassembled by the receiver).
        for (from, to) in [(lab.cn, "10.10.0.50"), (lab.vm, "10.10.0.9")] {
            for size in ["56", "1472"] {
                let ping = try lab.run(from, [tools.ping, "-c", "3", "-i", "0.2", "-W", "2", "-s", size, "-M", "dont", to])
                #expect(ping.succeeded && ping.standardOutput.contains(" 0% packet loss"),
                        "ping -s \(size) \(to) from \(from): \(ping.standardOutput) \(ping.standardError)")
            }
        }

        // TCP both ways: 4 MiB each, checked end to end (full-size segments meet the
        // tunnel's MTU at the first hop; path-MTU discovery shrinks them).
        for (server, address, client) in [(lab.vm, "10.10.0.50", lab.cn), (lab.cn, "10.10.0.9", lab.vm)] {
            let ready = lab.file("tcp-\(address).ready")
            let sink = try lab.spawn(server, [tools.probe, "tcp-sink", "--bind", "\(address):5001", "--ready", ready])
            try #require(eventually { FileManager.default.fileExists(atPath: ready) }, "tcp-sink: \(sink.standardError)")
            let source = try lab.run(client, [tools.probe, "tcp-source", "--to", "\(address):5001", "--bytes", "\(4 << 20)"])
            #expect(sink.wait(timeout: .seconds(20)))
            #expect(source.succeeded, "tcp-source: \(source.standardError)")
            let sent = source.standardOutput.replacingOccurrences(of: "sent ", with: "")
            let received = sink.standardOutput.replacingOccurrences(of: "received ", with: "")
            #expect(sent.hasPrefix("\(4 << 20) ") && sent == received, "sent \(sent), received \(received)")
        }

        // The eBPF programs moved the transfers (4 MiB each way), not the user-space path
        // beneath them. The ends write their counters every 100 ms.
        if implementation == "ebpf" {
            for (end, file) in [("home", homeCounters), ("site", siteCounters)] {
                let moved = eventually(timeout: .seconds(3)) {
                    guard let counters = ProbeCounters(file: file) else { return false }
                    return counters["kernelBytesOut"] >= 4 << 20 && counters["kernelBytesIn"] >= 4 << 20
                }
                #expect(moved, "\(end) end: \(ProbeCounters(file: file)?.values ?? [:])")
            }
        }

        // Counted as the wire carries them, whichever path moved them: a segment a packet,
        // each with its own headers (the eBPF path's super-packets, cut by the kernel after
        // they are framed, count as the segments they become). No segment is over 1500
        // octets, and each has 40 or more of headers.
        let segments = (4 << 20) / 1500
        let counted = eventually(timeout: .seconds(3)) {
            guard let counters = ProbeCounters(file: homeCounters) else { return false }
            return counters["packetsOut"] >= segments && counters["bytesOut"] >= (4 << 20) + segments * 40
                && counters["packetsIn"] >= segments && counters["bytesIn"] >= (4 << 20) + segments * 40
        }
        #expect(counted, "home end, 4 MiB each way in segments of 1500 octets or less: \(ProbeCounters(file: homeCounters)?.values ?? [:])")

        // What the home end must refuse, between two datagrams it must deliver.
        let before = try #require(ProbeCounters(file: homeCounters))
        let sinkReady = lab.file("udp.ready")
        let sink = try lab.spawn(lab.cn, [tools.probe, "udp-sink", "--bind", "10.10.0.9:7777", "--ready", sinkReady,
                                          "--seconds", "10", "--until", "last"])
        try #require(eventually { FileManager.default.fileExists(atPath: sinkReady) }, "udp-sink: \(sink.standardError)")
        let frames: [[String]] = [
            ["--from", "198.18.1.2", "--inner-source", "10.10.0.50", "--payload", "first"],
            // The site's address, but an inner source it holds no route for.
            ["--from", "198.18.1.2", "--inner-source", "10.10.0.77", "--payload", "spoofed-source"],
            // The VM's address from a third address.
            ["--from", "198.18.0.99", "--inner-source", "10.10.0.50", "--payload", "third-address"],
            // The site's address with a GRE key the route does not have.
            ["--from", "198.18.1.2", "--inner-source", "10.10.0.50", "--key", "99", "--payload", "wrong-key"],
            // Not a tunnel frame at all.
            ["--from", "198.18.1.2", "--garbage"],
            ["--from", "198.18.1.2", "--inner-source", "10.10.0.50", "--payload", "last"],
        ]
        for frame in frames {
            let send = try lab.run(lab.site, [tools.probe, "send", "--to", "198.18.0.2", "--inner-destination", "10.10.0.9"] + frame)
            #expect(send.succeeded, "send \(frame): \(send.standardError)")
        }
        #expect(sink.wait(timeout: .seconds(12)))
        #expect(sink.standardOutput.split(separator: "\n") == ["datagram: first", "datagram: last"],
                "delivered: \(sink.standardOutput)")
        let refused = eventually(timeout: .seconds(3)) {
            guard let after = ProbeCounters(file: homeCounters) else { return false }
            return after["dropped_no_route"] == before["dropped_no_route"] + 1
                && after["dropped_spoofed"] == before["dropped_spoofed"] + 1
                && after["dropped_key_mismatch"] == before["dropped_key_mismatch"] + 1
                && after["dropped_malformed"] == before["dropped_malformed"] + 1
                && after["packetsIn"] >= before["packetsIn"] + 2
        }
        #expect(refused, "home counters before \(before.values), after \(ProbeCounters(file: homeCounters)?.values ?? [:])")

        // Shut down as the daemons will: each end stops and undoes its configuration.
        homeEnd.terminate()
        siteEnd.terminate()
        #expect(homeEnd.status == 0, "home end: \(homeEnd.standardError)")
        #expect(siteEnd.status == 0, "site end: \(siteEnd.standardError)")
        #expect(try lab.output(["-n", lab.home, "neigh", "show", "proxy"]).isEmpty, "proxy entry left behind")
        #expect(try !lab.output(["-n", lab.home, "link"]).contains("glm0"), "TUN left behind")
        #expect(try !lab.output(["-n", lab.site, "rule"]).contains("lookup 100"), "policy rule left behind")
        #expect(try lab.readSysctl(lab.home, "net.ipv4.ip_forward") == "0", "ip_forward not restored")
        #expect(try lab.readSysctl(lab.home, "net.ipv4.neigh.br-home.proxy_delay") != "0", "proxy_delay not restored")
        // The eBPF ends took their programs and the qdiscs they added with them.
        for namespace in [lab.home, lab.site] {
            #expect(try lab.output(["-n", namespace, "link"]).contains("wan0"))
            #expect(try !lab.run(namespace, ["tc", "qdisc", "show", "dev", "wan0"]).standardOutput.contains("clsact"),
                    "\(namespace): a qdisc left behind")
        }
    }

    /// Make-before-break at the home end: while a second site prepares for the VM, every
    /// packet for it goes to both sites — in eBPF by a clone of the framed packet, in
    /// another framing than the route's. The second site is the stranger's address on
    /// the site's WAN interface; a capture there counts the copies.
    @Test("a prepared site gets a copy of the VM's traffic", arguments: ["user-space", "ebpf"])
    func preparedSiteGetsACopy(implementation: String) throws {
        guard let tools = TestEnvironment.labTools(for: "the data-plane tests") else { return }
        guard let tcpdump = TestEnvironment.tool("tcpdump") else {
            _ = TestEnvironment.require(false, "tcpdump is not installed (scripts/install-deps.sh)")
            return
        }
        let lab = try DataPlaneLab(ip: tools.ip)
        defer { lab.remove() }
        let homeCounters = lab.file("home.json")
        let homeEnd = try lab.spawn(lab.home, [tools.probe, "tunnel", "--local", "198.18.0.2", "--implementation", implementation,
                                               "--route", "10.10.0.50/32=198.18.1.2", "--prepare", "10.10.0.50/32=198.18.0.99,gre:9",
                                               "--os-routes", "--proxy-arp", "br-home", "--counters", homeCounters])
        let siteEnd = try lab.spawn(lab.site, [tools.probe, "tunnel", "--local", "198.18.1.2", "--implementation", implementation,
                                               "--route", "10.10.0.0/24=198.18.0.2", "--policy", "10.10.0.50=100",
                                               "--counters", lab.file("site.json")])
        defer {
            homeEnd.kill()
            siteEnd.kill()
        }
        try #require(eventually(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: homeCounters) },
                     "home end: \(homeEnd.standardError)")
        // The copy's peer resolved first, as a site that prepares has signalled already.
        _ = try lab.run(lab.home, [tools.ping, "-c", "1", "-W", "2", "198.18.0.99"])
        let listener = try lab.spawn(lab.site, [tcpdump, "-n", "-l", "-i", "wan0", "udp and dst host 198.18.0.99 and dst port 5437"])
        defer { listener.kill() }
        Thread.sleep(forTimeInterval: 1)
        let ping = try lab.run(lab.cn, [tools.ping, "-c", "5", "-i", "0.2", "-W", "2", "10.10.0.50"])
        #expect(ping.succeeded && ping.standardOutput.contains(" 0% packet loss"), "\(ping.standardOutput)")
        let copied = eventually(timeout: .seconds(3)) {
            listener.standardOutput.split(separator: "\n").count >= 5
        }
        #expect(copied, "copies seen at the prepared site: \(listener.standardOutput)")
        if implementation == "ebpf" {
            let cloned = eventually(timeout: .seconds(3)) {
                guard let counters = ProbeCounters(file: homeCounters) else { return false }
                // Five requests, each to two peers, by the programs; nothing left to user space.
                return counters["kernelPacketsOut"] >= 10 && counters["passedOut"] == 0
            }
            #expect(cloned, "\(ProbeCounters(file: homeCounters)?.values ?? [:])")
        }
    }

    /// The eBPF end killed with SIGKILL leaves its WAN filter (the TUN and its own filter
    /// go with the process); the next start finds it by GLM's handle, replaces it, carries
    /// traffic, and its stop removes filter and qdisc alike.
    @Test("a killed eBPF end's filter is replaced by the next start and removed by its stop")
    func killedEBPFEndIsReplaced() throws {
        guard let tools = TestEnvironment.labTools(for: "the data-plane tests") else { return }
        let lab = try DataPlaneLab(ip: tools.ip)
        defer { lab.remove() }
        let homeArguments = [tools.probe, "tunnel", "--local", "198.18.0.2", "--implementation", "ebpf",
                             "--route", "10.10.0.50/32=198.18.1.2", "--os-routes", "--proxy-arp", "br-home"]
        let siteEnd = try lab.spawn(lab.site, [tools.probe, "tunnel", "--local", "198.18.1.2", "--implementation", "ebpf",
                                               "--route", "10.10.0.0/24=198.18.0.2", "--policy", "10.10.0.50=100",
                                               "--counters", lab.file("site.json")])
        defer { siteEnd.kill() }
        let filters = { try lab.run(lab.home, ["tc", "filter", "show", "dev", "wan0", "ingress"]).standardOutput }
        let killed = try lab.spawn(lab.home, homeArguments + ["--counters", lab.file("home-1.json")])
        try #require(eventually(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: lab.file("home-1.json")) },
                     "first home end: \(killed.standardError)")
        killed.kill()
        let left = try filters()
        #expect(left.contains("glm_decap"), "the killed end's filter: \(left)")

        let home = try lab.spawn(lab.home, homeArguments + ["--counters", lab.file("home-2.json")])
        defer { home.kill() }
        try #require(eventually(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: lab.file("home-2.json")) },
                     "second home end: \(home.standardError)")
        #expect(home.standardError.contains("replaced the tunnel program a killed run left attached"), "\(home.standardError)")
        let replaced = try filters()
        #expect(replaced.split(separator: "\n").filter { $0.contains("handle 0x474c") && $0.contains("glm_decap") }.count == 1,
                "one filter after the restart: \(replaced)")
        let ping = try lab.run(lab.cn, [tools.ping, "-c", "3", "-i", "0.2", "-W", "2", "10.10.0.50"])
        #expect(ping.succeeded && ping.standardOutput.contains(" 0% packet loss"), "\(ping.standardOutput)")
        let moved = eventually(timeout: .seconds(3)) { (ProbeCounters(file: lab.file("home-2.json"))?["kernelPacketsIn"] ?? 0) >= 3 }
        #expect(moved, "\(ProbeCounters(file: lab.file("home-2.json"))?.values ?? [:])")

        home.terminate()
        #expect(home.status == 0, "\(home.standardError)")
        let after = try filters()
        #expect(after.isEmpty, "a filter after the stop: \(after)")
        #expect(try !lab.run(lab.home, ["tc", "qdisc", "show", "dev", "wan0"]).standardOutput.contains("clsact"))
    }
}
