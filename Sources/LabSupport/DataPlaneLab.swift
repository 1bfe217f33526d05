import Foundation
import Synchronization

/// The network of a data-plane test, built from namespaces in the manner of
/// WireGuard's netns.sh:
///
/// ```
///  [cn] eth0 10.10.0.9/24 ─── lan0 ─ br-home 10.10.0.2/24 [home] wan0 198.18.0.2/16
///                                                                  │ (the WAN veth)
///  [vm] eth0 10.10.0.50/24 ─── vm0 [site] wan0 198.18.1.2/16 + 198.18.0.99/16 (a stranger)
///       default via 10.10.0.1        proxy_arp on vm0: the site answers for the VM's gateway
/// ```
///
/// With `siteBridge`, the VM's link is bridged rather than routed, as on a hypervisor
/// host: `vm0` is a port of a bridge `br0` in the site namespace (no address, no route to
/// the VM, no proxy ARP: a site agent's data plane installs what serving the VM needs),
/// and the VM's `eth0` carries the MAC ``vmMAC`` and sends nothing of its own accord
/// (IPv6 off), so that its MAC reaches the bridge's forwarding table only when it speaks.
///
/// Every name carries the test process's id and a counter, so runs never collide;
/// ``remove()`` kills what still runs inside and deletes the namespaces. The tunnel's
/// namespace test runs a `glm-tunnel-probe` at each end; the end-to-end tests run the
/// real `home-agent` in the home namespace and a probe playing the site.
public final class DataPlaneLab: @unchecked Sendable {
    // Built in init and only read afterwards.
    public let ip: String
    public let home: String
    public let cn: String
    public let site: String
    public let vm: String
    /// Whether the VM's link is a port of the bridge `br0` in the site namespace.
    public let siteBridge: Bool
    /// The VM's MAC on a bridged site.
    public static let vmMAC = "52:54:00:12:34:56"
    /// A folder for the test's files, removed with the lab.
    public let scratch: String

    private static let counter = Mutex(0)

    public init(ip: String, siteBridge: Bool = false) throws {
        self.ip = ip
        self.siteBridge = siteBridge
        let run = Self.counter.withLock { value in
            value += 1
            return value
        }
        let suffix = "\(getpid())-\(run)"
        home = "glm-home-\(suffix)"
        cn = "glm-cn-\(suffix)"
        site = "glm-site-\(suffix)"
        vm = "glm-vm-\(suffix)"
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("glm-lab-\(suffix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        do {
            try build()
        } catch {
            remove()
            throw error
        }
    }

    private func build() throws {
        for namespace in [home, cn, site, vm] {
            try command(["netns", "add", namespace])
            try command(["-n", namespace, "link", "set", "lo", "up"])
        }
        try command(["-n", home, "link", "add", "br-home", "type", "bridge"])
        try command(["-n", home, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", cn])
        try command(["-n", home, "link", "set", "lan0", "master", "br-home"])
        try command(["-n", home, "link", "add", "wan0", "type", "veth", "peer", "name", "wan0", "netns", site])
        try command(["-n", site, "link", "add", "vm0", "type", "veth", "peer", "name", "eth0", "netns", vm])
        var links = [(home, "br-home"), (home, "lan0"), (home, "wan0"), (cn, "eth0"), (site, "wan0"), (site, "vm0"), (vm, "eth0")]
        if siteBridge {
            try command(["-n", site, "link", "add", "br0", "type", "bridge"])
            try command(["-n", site, "link", "set", "vm0", "master", "br0"])
            try command(["-n", vm, "link", "set", "eth0", "address", Self.vmMAC])
            try sysctl(vm, "net.ipv6.conf.eth0.disable_ipv6", "1")
            try sysctl(site, "net.ipv6.conf.br0.disable_ipv6", "1")
            try sysctl(site, "net.ipv6.conf.vm0.disable_ipv6", "1")
            links.append((site, "br0"))
        }
        for (namespace, link) in links {
            try command(["-n", namespace, "link", "set", link, "up"])
        }
        try command(["-n", home, "address", "add", "10.10.0.2/24", "dev", "br-home"])
        try command(["-n", home, "address", "add", "198.18.0.2/16", "dev", "wan0"])
        try command(["-n", site, "address", "add", "198.18.1.2/16", "dev", "wan0"])
        try command(["-n", site, "address", "add", "198.18.0.99/16", "dev", "wan0"])
        try command(["-n", cn, "address", "add", "10.10.0.9/24", "dev", "eth0"])
        try command(["-n", vm, "address", "add", "10.10.0.50/24", "dev", "eth0"])
        try command(["-n", vm, "route", "add", "default", "via", "10.10.0.1"])
        if !siteBridge {
            // The site's side of the VM's link: a host route to the VM, and ARP answers for
            // everything the VM looks for (its gateway, its home neighbours).
            try command(["-n", site, "route", "add", "10.10.0.50/32", "dev", "vm0"])
            try sysctl(site, "net.ipv4.conf.vm0.proxy_arp", "1")
            try sysctl(site, "net.ipv4.neigh.vm0.proxy_delay", "0")
        }
        // Let a gratuitous ARP update an entry however recently it was written.
        try sysctl(cn, "net.ipv4.neigh.eth0.locktime", "0")
    }

    /// `ip ARGUMENTS`, failing with iproute2's message.
    public func command(_ arguments: [String]) throws {
        let run = try ProgramRun(ip, arguments, timeout: .seconds(10))
        guard run.succeeded else {
            throw LabError("ip \(arguments.joined(separator: " ")): \(run.standardError)")
        }
    }

    /// `ip ARGUMENTS` and its output.
    public func output(_ arguments: [String]) throws -> String {
        try ProgramRun(ip, arguments, timeout: .seconds(10)).standardOutput
    }

    public func sysctl(_ namespace: String, _ name: String, _ value: String) throws {
        try command(["netns", "exec", namespace, "sh", "-c",
                     "echo \(value) > /proc/sys/\(name.replacingOccurrences(of: ".", with: "/"))"])
    }

    public func readSysctl(_ namespace: String, _ name: String) throws -> String {
        try output(["netns", "exec", namespace, "cat", "/proc/sys/\(name.replacingOccurrences(of: ".", with: "/"))"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a program inside `namespace` to completion.
    public func run(_ namespace: String, _ arguments: [String], timeout: Duration = .seconds(20)) throws -> ProgramRun {
        try ProgramRun(ip, ["netns", "exec", namespace] + arguments, timeout: timeout)
    }

    /// Runs a program inside `namespace` to completion, without blocking a thread of
    /// Swift's cooperative pool while it runs.
    public func run(_ namespace: String, _ arguments: [String], timeout: Duration = .seconds(20)) async throws -> ProgramRun {
        try await ProgramRun.run(ip, ["netns", "exec", namespace] + arguments, timeout: timeout)
    }

    /// Starts a program inside `namespace` (`ip netns exec` execs it: the child is the program).
    public func spawn(_ namespace: String, _ arguments: [String]) throws -> ChildProcess {
        let child = ChildProcess(ip, ["netns", "exec", namespace] + arguments)
        try child.start()
        return child
    }

    public func file(_ name: String) -> String { "\(scratch)/\(name)" }

    /// Kills whatever still runs in the namespaces and deletes them.
    public func remove() {
        for namespace in [home, cn, site, vm] {
            let pids = (try? output(["netns", "pids", namespace])) ?? ""
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) {
                kill(pid, SIGKILL)
            }
        }
        for namespace in [home, cn, site, vm] {
            _ = try? ProgramRun(ip, ["netns", "delete", namespace], timeout: .seconds(10))
        }
        try? FileManager.default.removeItem(atPath: scratch)
    }

    public struct LabError: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }
}

/// A tunnel end's counters, as `glm-tunnel-probe tunnel --counters FILE` writes them.
public struct ProbeCounters: Sendable {
    public let values: [String: UInt64]

    public init?(file: String) {
        guard let data = FileManager.default.contents(atPath: file),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        values = object.compactMapValues { ($0 as? NSNumber)?.uint64Value }
    }

    public subscript(_ name: String) -> UInt64 { values[name] ?? 0 }
}
