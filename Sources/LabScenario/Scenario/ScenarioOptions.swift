import Foundation
import LabNetwork

/// What a lab run does: how many sites and VMs, the WAN's delay and loss, the route each
/// VM migrates along, how often the correspondent probes, and where the report goes.
public struct ScenarioOptions: Sendable {
    public var sites = 3
    /// One-way delay between the home agent and each site (3 ms: about 600 km of fibre).
    public var oneWayDelay: Duration = .milliseconds(3)
    /// Random loss on each site's WAN link, in percent.
    public var lossPercent = 0.0
    public var vms = 1
    /// The hosts each VM visits in order, starting where it boots.
    public var route: [LabTopology.Host] = [.home, .site(1), .site(2), .site(3), .home]
    /// How each pass along the route tells the destination: `announce` (QEMU's RARP only)
    /// or `make-before-break` (the libvirt hook's `incoming` before `migrate`, then the
    /// announce). The route is run once per mode, in this order.
    public var modes = [ScenarioOptions.announce, ScenarioOptions.makeBeforeBreak]
    public static let announce = "announce"
    public static let makeBeforeBreak = "make-before-break"
    public var probeInterval: Duration = .milliseconds(1)
    /// How long the lab lets traffic run between two migrations.
    public var settle: Duration = .seconds(1)
    /// The agents' `tunnel.implementation` (`auto`, `ebpf`, `user-space`); nil for their default.
    public var tunnelImplementation: String?
    /// The folder holding `home-agent`, `site-agent` and `glm-wan`.
    public var programs: String
    /// The guest image cache (nil: the default, `/var/cache/glm-lab`).
    public var cache: String?
    /// Where the report (`report.json`, `timeline.svg`, `summary.txt`), the captures and
    /// the logs go.
    public var output: String

    public init(programs: String, output: String) {
        self.programs = programs
        self.output = output
    }

    /// A route written `home,a,b,c,home` (or `site-a`, or site numbers `1`).
    public static func route(_ text: String) throws -> [LabTopology.Host] {
        try text.split(separator: ",").map { word in
            let name = word.trimmingCharacters(in: .whitespaces).lowercased()
            if name == "home" { return .home }
            let bare = name.hasPrefix("site-") ? String(name.dropFirst(5)) : name
            if let number = Int(bare), number >= 1 { return .site(number) }
            if bare.count == 1, let scalar = bare.unicodeScalars.first, ("a"..."z").contains(Character(scalar)) {
                return .site(Int(scalar.value) - 96)
            }
            throw ScenarioError("route: '\(word)' is neither home nor a site (a, b, site-c, 3)")
        }
    }

    /// Why these options cannot run, or nil.
    public var problem: String? {
        if !(1...26).contains(sites) { return "sites must be 1-26" }
        if !(1...4).contains(vms) { return "vms must be 1-4 (each QEMU guest takes a share of two cores)" }
        if route.count < 2 { return "the route needs at least two hosts" }
        for host in route {
            if case .site(let number) = host, number > sites { return "the route names \(host.reportName), beyond the \(sites) sites" }
        }
        if zip(route, route.dropFirst()).contains(where: { $0 == $1 }) { return "the route repeats a host: a VM cannot migrate to where it is" }
        if !(0...50).contains(lossPercent) { return "loss must be 0-50 %" }
        if modes.isEmpty || modes.contains(where: { $0 != Self.announce && $0 != Self.makeBeforeBreak }) {
            return "modes are announce and make-before-break"
        }
        if modes.count > 1, route.first != route.last { return "with both modes the route must end where it starts" }
        if oneWayDelay < .zero || oneWayDelay > .seconds(1) { return "delay must be 0-1000 ms" }
        return nil
    }
}

/// Why the scenario stopped.
public struct ScenarioError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
