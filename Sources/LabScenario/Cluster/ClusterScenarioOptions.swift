import LabNetwork

/// What a cluster run does: the WAN's delay, how many times the serving member is
/// killed, how often the correspondent probes the VM, and where the report goes.
public struct ClusterScenarioOptions: Sendable {
    /// One-way delay of each site's WAN link (3 ms), so twice this between the cluster's
    /// service address and the hypervisor abroad.
    public var oneWayDelay: Duration = .milliseconds(3)
    /// How many times the serving member is killed; the member killed is brought back
    /// after each.
    public var kills = 2
    public var probeInterval: Duration = .milliseconds(1)
    /// Traffic time before each kill.
    public var settle: Duration = .seconds(1)
    /// Traffic time after the takeover, before the bindings are read again.
    public var afterTakeover: Duration = .seconds(2)
    /// How long the other member may take to serve after a kill, and the member killed to
    /// be back as a standby.
    public var takeoverLimit: Duration = .seconds(10)
    public var rejoinLimit: Duration = .seconds(30)
    /// The folder holding `home-agent`, `site-agent`, `glm-wan` and `glm-tunnel-probe`.
    public var programs: String
    /// Where the report (`report.json`, `timeline.svg`, `summary.txt`), the probe logs
    /// and the agents' logs go.
    public var output: String

    public init(programs: String, output: String) {
        self.programs = programs
        self.output = output
    }

    /// The cluster: two home agents and three etcd members, on site A.
    public static let layout = FederationTopology.ClusterLayout(members: 2, etcdMembers: 3)
    /// a1 of site A (10.1.0.50, gateway 10.1.0.1), away at B1 for the whole run.
    public static let vm = FederationScenarioOptions.a1
    public static let hypervisor = FederationTopology.Hypervisor(site: 2, index: 1)

    /// Why these options cannot run, or nil.
    public var problem: String? {
        if !(1...20).contains(kills) { return "kills must be 1-20" }
        if oneWayDelay < .zero || oneWayDelay > .seconds(1) { return "delay must be 0-1000 ms" }
        return nil
    }
}
