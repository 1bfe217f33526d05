import Foundation
import LabProcesses
import Synchronization

/// The lab's network, built from namespaces in the manner of WireGuard's netns.sh: the
/// origin site's host with its LAN and correspondent, N foreign sites' hypervisor hosts,
/// and the WAN core router between them (see Docs/lab.md for the picture):
///
/// ```
///  [cn] eth0 10.10.0.9/24 ── lan-cn ─ br-home 10.10.0.2/24 [home] wan0 198.18.0.2/24
///                                                                 │
///                                                to-home 198.18.0.1/24
///                       [wan] ip_forward, rp_filter off; delay line on TUN dl0
///                                                to-site<k> 198.18.<k>.1/24
///                                                                 │
///                      [site<k>] br0 (no address; VM ports)  wan0 198.18.<k>.2/24
/// ```
///
/// Every host's default route leads to the WAN core. With a delay line, everything the
/// WAN core receives on a `to-*` link goes through `glm-wan delay-line` (policy routing:
/// `iif to-X lookup 100`, table 100 `default dev dl0`) before it is forwarded. IPv6 is
/// off in every namespace, so nothing speaks unprompted.
///
/// Every name carries a prefix (a caller's lab name, or the process id and a counter),
/// so concurrent labs never collide. ``remove()`` kills whatever runs in the namespaces
/// and deletes them; it is synchronous and idempotent, for a signal handler's path.
public final class LabTopology: @unchecked Sendable {
    /// A host of the lab that can carry VMs: the origin site's, or foreign site k's (from 1).
    public enum Host: Hashable, Sendable, CustomStringConvertible {
        case home
        case site(Int)

        public var description: String {
            switch self {
            case .home: "home"
            case .site(let number): "site\(number)"
            }
        }

        /// The host's address on the WAN: 198.18.0.2 at home, 198.18.k.2 at site k.
        public var wanAddress: String { "198.18.\(linkNumber).2" }
        /// Its WAN core router's address, the host's default gateway.
        public var wanGateway: String { "198.18.\(linkNumber).1" }
        /// The bridge its VM ports join: `br-home` at home, `br0` at a site.
        public var bridge: String { self == .home ? "br-home" : "br0" }
        /// The WAN core's veth to the host: `to-home`, `to-site<k>`.
        public var wanCoreLink: String { "to-\(self)" }

        var linkNumber: Int {
            switch self {
            case .home: 0
            case .site(let number): number
            }
        }
    }

    /// The home host's address on its LAN (br-home).
    public static let homeLANAddress = "10.10.0.2"
    /// The correspondent's address on the home LAN.
    public static let correspondentAddress = "10.10.0.9"
    /// The VMs' default gateway, which nobody in the lab owns.
    public static let vmGateway = "10.10.0.1"
    /// The delay line's TUN device in the WAN namespace, and the table routing into it.
    public static let delayLineDevice = "dl0"
    public static let delayLineTable = "100"

    // Set in init and only read afterwards, except the guarded state.
    public let ip: String
    /// What every name starts with.
    public let prefix: String
    public let home: String
    public let cn: String
    public let wan: String
    /// Site k's namespace at index k - 1.
    public let sites: [String]
    /// The delay line's configuration, or nil when packets cross the WAN undelayed.
    public let delayLine: DelayLine.Configuration?
    /// A folder for the run's files, removed with the lab.
    public let scratch: String

    let lifetime = LabLifetime()
    var commands: NamespaceCommands { NamespaceCommands(ip: ip) }

    /// Builds the lab: `siteCount` sites and, with `delayLine`, the delay line run as
    /// `wanProgram delay-line` (the `glm-wan` executable) in the WAN namespace.
    public init(ip: String, name: String? = nil, siteCount: Int = 3,
                delayLine: DelayLine.Configuration? = nil, wanProgram: String? = nil) async throws {
        precondition((1...250).contains(siteCount), "1 to 250 sites")
        self.ip = ip
        let prefix = NamespaceCommands.prefix(name: name)
        self.prefix = prefix
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        home = "\(prefix)-home"
        cn = "\(prefix)-cn"
        wan = "\(prefix)-wan"
        sites = (1...siteCount).map { "\(prefix)-site\($0)" }
        self.delayLine = delayLine
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        do {
            try await build()
            if let delayLine {
                guard let wanProgram else { throw LabError("a delay line needs the glm-wan program") }
                try await startDelayLine(delayLine, program: wanProgram)
            }
        } catch {
            remove()
            throw error
        }
    }

    /// The hosts that carry VMs: home, then the sites.
    public var hosts: [Host] { [.home] + (1...sites.count).map(Host.site) }

    /// The namespace of `host`.
    public func namespace(of host: Host) -> String {
        switch host {
        case .home: home
        case .site(let number): sites[number - 1]
        }
    }

    private func build() async throws {
        for namespace in [home, cn, wan] + sites {
            try await commands.addNamespace(namespace)
        }
        try await sysctl(wan, [("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.send_redirects", "0"),
                               ("net.ipv4.conf.default.send_redirects", "0")])
        for host in hosts {
            let namespace = namespace(of: host)
            try await command(["-n", wan, "link", "add", host.wanCoreLink, "type", "veth", "peer", "name", "wan0", "netns", namespace])
            try await command(["-n", namespace, "link", "add", host.bridge, "type", "bridge"])
            for link in [host.bridge, "wan0"] {
                try await command(["-n", namespace, "link", "set", link, "up"])
            }
            try await command(["-n", wan, "link", "set", host.wanCoreLink, "up"])
            try await command(["-n", wan, "address", "add", "\(host.wanGateway)/24", "dev", host.wanCoreLink])
            try await command(["-n", namespace, "address", "add", "\(host.wanAddress)/24", "dev", "wan0"])
            try await command(["-n", namespace, "route", "add", "default", "via", host.wanGateway])
            if host != .home {
                try await sysctl(namespace, [("net.ipv4.ip_forward", "1")])
            }
        }
        try await command(["-n", home, "address", "add", "\(Self.homeLANAddress)/24", "dev", "br-home"])
        try await command(["-n", home, "link", "add", "lan-cn", "type", "veth", "peer", "name", "eth0", "netns", cn])
        try await command(["-n", home, "link", "set", "lan-cn", "master", "br-home", "up"])
        try await command(["-n", cn, "link", "set", "eth0", "up"])
        try await command(["-n", cn, "address", "add", "\(Self.correspondentAddress)/24", "dev", "eth0"])
        // Let a gratuitous ARP update an entry however recently it was written.
        try await sysctl(cn, [("net.ipv4.neigh.eth0.locktime", "0")])
    }

    // MARK: Running things in the lab

    /// `ip ARGUMENTS`, failing with iproute2's message.
    public func command(_ arguments: [String]) async throws {
        try await commands.command(arguments)
    }

    /// `ip ARGUMENTS` and its output.
    public func output(_ arguments: [String]) async throws -> String {
        try await commands.output(arguments)
    }

    /// Sets sysctls (`net.ipv4.ip_forward`...) inside `namespace`, in one shell.
    public func sysctl(_ namespace: String, _ settings: [(name: String, value: String)]) async throws {
        try await commands.sysctl(namespace, settings)
    }

    public func sysctl(_ namespace: String, _ name: String, _ value: String) async throws {
        try await sysctl(namespace, [(name, value)])
    }

    /// Runs a program inside `namespace` to completion, without blocking a thread of
    /// Swift's cooperative pool while it runs.
    public func run(_ namespace: String, _ arguments: [String], timeout: Duration = .seconds(20)) async throws -> ProgramRun {
        try await commands.run(namespace, arguments, timeout: timeout)
    }

    /// Starts a program inside `namespace` (`ip netns exec` execs it: the child is the program).
    public func spawn(_ namespace: String, _ arguments: [String]) throws -> ChildProcess {
        try commands.spawn(namespace, arguments)
    }

    /// A path in ``scratch``.
    public func file(_ name: String) -> String { "\(scratch)/\(name)" }

    // MARK: Removal

    /// Kills whatever still runs in the lab's namespaces (the delay line, VMs' QEMUs,
    /// agents) and deletes the namespaces and the scratch folder. Synchronous and
    /// idempotent: safe on a signal handler's path and after a failed build.
    public func remove() {
        lifetime.remove(namespaces: [home, cn, wan] + sites, scratch: scratch, commands: commands)
    }

    /// A step of building or changing the lab failed.
    public struct LabError: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }
}
