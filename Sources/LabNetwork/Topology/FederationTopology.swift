import Foundation
import LabProcesses
import Synchronization

/// The federation's lab network, from namespaces: N sites (A, B, C…), each the home of
/// its subnet 10.s.0.0/24 with a home-agent host that routes it, a correspondent, and H
/// hypervisors whose bridges are joined to the site's LAN; a WAN core router between
/// the sites. For site s and hypervisor h:
///
/// ```
///              [wan] ip_forward, rp_filter off; delay line on TUN dl0
///              to-s<s> 198.18.<s>.1/24; 10.<s>.0.0/24 via 198.18.<s>.2
///                                │ core
///     [sw<s>] ───────────────── bridge wan ─────────────────────────┐
///                 │ wan0 198.18.<s>.2/24                            │ wan0 198.18.<s>.<10+h>/24
///              [ha<s>] ip_forward                               [hv<s><h>] ip_forward
///                 br-home 10.<s>.0.2/24 and 10.<s>.0.1/24          br0 (no address, fixed MAC;
///                 │ lan0                                            │   VM ports vm-<name>)
///                 │                                                 │ uplink
///     [sw<s>] ───────────────── bridge lan ─────────────────────────┴──── eth0 [cn<s>] 10.<s>.0.9/24
/// ```
///
/// The switch `sw<s>` holds two bridges and no address: `wan`, the site's WAN segment,
/// and `lan`, the site's LAN. Every WAN port's default route leads to the WAN core;
/// the correspondent's and the VMs' to the site's gateway 10.s.0.1 on `br-home`, so a
/// VM at home reaches its LAN over layer 2 through its hypervisor's uplink, and other
/// sites through its home-agent host and the WAN core. With a delay line, everything
/// the WAN core receives on a `to-s*` link goes through `glm-wan delay-line` (policy
/// routing: `iif to-s<s> lookup 100`, table 100 `default dev dl0`) before it is
/// forwarded; site s's link delays packets to and from 198.18.s.0/24 and its home
/// subnet. IPv6 is off in every namespace, so nothing speaks unprompted.
///
/// Every name carries a prefix (a caller's lab name, or the process id and a counter
/// shared with ``LabTopology``), so concurrent labs never collide. ``remove()`` kills
/// whatever runs in the namespaces and deletes them; it is synchronous and idempotent,
/// for a signal handler's path.
public final class FederationTopology: @unchecked Sendable {
    public typealias LabError = LabTopology.LabError

    /// The delay line's TUN device in the WAN namespace, and the table routing into it.
    public static let delayLineDevice = LabTopology.delayLineDevice
    public static let delayLineTable = LabTopology.delayLineTable

    // Set in init and only read afterwards, except the guarded state.
    public let ip: String
    /// What every name starts with.
    public let prefix: String
    public let siteCount: Int
    public let hypervisorsPerSite: Int
    /// The cluster of home agents and the etcd members of site 1, when it has one.
    public let cluster: ClusterLayout?
    /// The WAN core's namespace.
    public let wan: String
    /// The delay line's configuration, each site's link with its home subnet; nil when
    /// packets cross the WAN undelayed.
    public let delayLine: DelayLine.Configuration?
    /// A folder for the run's files, removed with the lab.
    public let scratch: String

    let commands: NamespaceCommands
    let lifetime = LabLifetime()

    /// Builds `siteCount` sites (2 to 26) of `hypervisorsPerSite` hypervisors (1 to 9)
    /// and, with `delayLine`, the delay line run as `wanProgram delay-line` (the
    /// `glm-wan` executable) in the WAN namespace; the federation adds each site's home
    /// subnet to its link.
    public init(ip: String, name: String? = nil, siteCount: Int = 2, hypervisorsPerSite: Int = 2,
                delayLine: DelayLine.Configuration? = nil, wanProgram: String? = nil,
                cluster: ClusterLayout? = nil) async throws {
        precondition((2...26).contains(siteCount), "2 to 26 sites")
        precondition((1...9).contains(hypervisorsPerSite), "1 to 9 hypervisors a site")
        self.ip = ip
        commands = NamespaceCommands(ip: ip)
        prefix = NamespaceCommands.prefix(name: name)
        self.siteCount = siteCount
        self.hypervisorsPerSite = hypervisorsPerSite
        self.cluster = cluster
        wan = "\(prefix)-wan"
        self.delayLine = delayLine.map { $0.routingHomeSubnets(siteCount: siteCount) }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        do {
            try await build()
            if let configuration = self.delayLine {
                guard let wanProgram else { throw LabError("a delay line needs the glm-wan program") }
                try await startDelayLine(configuration, program: wanProgram)
            }
        } catch {
            remove()
            throw error
        }
    }

    // MARK: Sites and their hosts

    /// The sites' numbers, 1...N.
    public var sites: ClosedRange<Int> { 1...siteCount }

    /// Site `site`'s hypervisors, A1, A2…
    public func hypervisors(site: Int) -> [Hypervisor] {
        (1...hypervisorsPerSite).map { Hypervisor(site: site, index: $0) }
    }

    /// Every site's hypervisors, A1, A2…, B1…
    public var hypervisors: [Hypervisor] { sites.flatMap(hypervisors(site:)) }

    /// The namespace of `host`.
    public func namespace(of host: Host) -> String { "\(prefix)-\(host)" }

    /// The namespace of `hypervisor`.
    public func namespace(of hypervisor: Hypervisor) -> String { namespace(of: .hypervisor(hypervisor)) }

    /// The namespace of site `site`'s switch (its `wan` and `lan` bridges).
    public func switchNamespace(site: Int) -> String { "\(prefix)-sw\(site)" }

    /// Every namespace of the sites and the WAN core, not the VMs'.
    var namespaces: [String] {
        [wan] + sites.flatMap { site in
            [switchNamespace(site: site), namespace(of: .homeAgent(site: site)), namespace(of: .correspondent(site: site))]
                + hypervisors(site: site).map(namespace(of:))
                + clusterHosts(site: site).map(namespace(of:))
        }
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

    /// Kills whatever still runs in the lab's namespaces (the delay line, agents, VMs)
    /// and deletes the namespaces and the scratch folder. Synchronous and idempotent:
    /// safe on a signal handler's path and after a failed build.
    public func remove() {
        lifetime.remove(namespaces: namespaces, scratch: scratch, commands: commands)
    }
}
