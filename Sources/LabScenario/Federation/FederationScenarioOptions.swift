import Foundation
import LabNetwork

/// What a federation run does: how many sites and hypervisors, the WAN's delay and loss,
/// which VMs migrate along which walks of hypervisors, in which modes, how often their
/// correspondents probe them, and where the report goes.
public struct FederationScenarioOptions: Sendable {
    public typealias Hypervisor = FederationTopology.Hypervisor

    public var sites = 2
    public var hypervisorsPerSite = 2
    /// One-way delay of each site's WAN link (3 ms: about 600 km of fibre), so twice this
    /// between two sites.
    public var oneWayDelay: Duration = .milliseconds(3)
    /// Random loss on each site's WAN link, in percent.
    public var lossPercent = 0.0
    /// The hypervisors a1 (home: site A) visits in the first pass, starting where it boots.
    public var route = [Hypervisor(site: 1, index: 1), Hypervisor(site: 2, index: 1),
                        Hypervisor(site: 2, index: 2), Hypervisor(site: 1, index: 2)]
    /// With ``crossing``: b1 (home: site B) migrates too, in turn with a1, along this walk.
    public var crossing = false
    public var crossingRoute = [Hypervisor(site: 2, index: 1), Hypervisor(site: 1, index: 2),
                                Hypervisor(site: 1, index: 1), Hypervisor(site: 2, index: 2)]
    /// One pass per mode, in this order: `announce` (QEMU's RARP only; the hook's
    /// `departed` at the source after) or `make-before-break` (the hook's `incoming` at the
    /// destination before `migrate`, `departed` at the source after). Each pass starts
    /// where the previous one ended: see ``walk(_:pass:)``.
    public var modes = [ScenarioOptions.announce, ScenarioOptions.makeBeforeBreak]
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

    /// The federation's VMs: a1 at home on site A (10.1.0.50, gateway 10.1.0.1); with
    /// ``crossing``, b1 at home on site B (10.2.0.50, gateway 10.2.0.1).
    public static let a1 = VMProfile(name: "a1", mac: "52:54:00:01:00:01", address: "10.1.0.50", gateway: "10.1.0.1")
    public static let b1 = VMProfile(name: "b1", mac: "52:54:00:02:00:01", address: "10.2.0.50", gateway: "10.2.0.1")

    /// Each VM that migrates, with its home site and its first pass's walk.
    public var travellers: [(vm: VMProfile, home: Int, route: [Hypervisor])] {
        [(Self.a1, 1, route)] + (crossing ? [(Self.b1, 2, crossingRoute)] : [])
    }

    /// The walk of pass `pass` (from 0) along `route`: the route itself in even passes; in
    /// odd ones, which start where the route ends, the route with its two ends swapped
    /// (A1→B1→B2→A2, then A2→B1→B2→A1: the same kinds of hop, the return home to the
    /// other hypervisor again), or the route backwards when swapping its ends would
    /// migrate a VM to where it is.
    public static func walk(_ route: [Hypervisor], pass: Int) -> [Hypervisor] {
        guard pass % 2 == 1, route.first != route.last else { return route }
        var swapped = route
        swapped.swapAt(0, route.count - 1)
        return isWalk(swapped) ? swapped : route.reversed()
    }

    /// True when no step of `route` stays where it is.
    static func isWalk(_ route: [Hypervisor]) -> Bool {
        !zip(route, route.dropFirst()).contains { $0 == $1 }
    }

    /// A route written by hypervisor names, `A1,B1,B2,A2`.
    public static func route(_ text: String) throws -> [Hypervisor] {
        try text.split(separator: ",").map { word in
            let name = word.trimmingCharacters(in: .whitespaces).uppercased()
            guard name.count == 2, let letter = name.unicodeScalars.first, ("A"..."Z").contains(Character(letter)),
                  let index = Int(name.dropFirst()), (1...9).contains(index) else {
                throw ScenarioError("route: '\(word)' is not a hypervisor (A1, B2: the site's letter and the hypervisor's number)")
            }
            return Hypervisor(site: Int(letter.value) - 64, index: index)
        }
    }

    /// Why these options cannot run, or nil.
    public var problem: String? {
        if !(2...26).contains(sites) { return "sites must be 2-26" }
        if !(1...9).contains(hypervisorsPerSite) { return "hypervisors must be 1-9 a site" }
        for (vm, _, route) in travellers {
            if route.count < 2 { return "\(vm.name)'s route needs at least two hypervisors" }
            if let beyond = route.first(where: { $0.site > sites || $0.index > hypervisorsPerSite }) {
                return "\(vm.name)'s route names \(beyond), beyond \(sites) sites of \(hypervisorsPerSite) hypervisors"
            }
            if !Self.isWalk(route) { return "\(vm.name)'s route repeats a hypervisor: a VM cannot migrate to where it is" }
        }
        if !(0...50).contains(lossPercent) { return "loss must be 0-50 %" }
        if modes.isEmpty || modes.contains(where: { $0 != ScenarioOptions.announce && $0 != ScenarioOptions.makeBeforeBreak }) {
            return "modes are announce and make-before-break"
        }
        if oneWayDelay < .zero || oneWayDelay > .seconds(1) { return "delay must be 0-1000 ms" }
        return nil
    }
}
