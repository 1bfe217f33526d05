import LabNetwork

/// What the scenario knows of one migration as it runs it: the VM, the hosts, and QEMU's
/// account (QMP events and `query-migrate`). `Host` is the lab's kind of host: a
/// ``LabTopology`` host or a ``FederationTopology`` hypervisor.
public struct MigrationObservation<Host: MigrationHost>: Sendable {
    public var vm: VMProfile
    public var from: Host
    public var to: Host
    public var mode: String
    /// When `migrate` was sent (seconds since 1970).
    public var started: Double
    /// QMP `STOP` at the source, `RESUME` at the destination (seconds since 1970).
    public var sourceStopped: Double?
    public var resumed: Double?
    public var downtimeMilliseconds: Double
    public var totalMilliseconds: Double

    public init(vm: VMProfile, from: Host, to: Host, mode: String, started: Double,
                sourceStopped: Double?, resumed: Double?, downtimeMilliseconds: Double, totalMilliseconds: Double) {
        self.vm = vm
        self.from = from
        self.to = to
        self.mode = mode
        self.started = started
        self.sourceStopped = sourceStopped
        self.resumed = resumed
        self.downtimeMilliseconds = downtimeMilliseconds
        self.totalMilliseconds = totalMilliseconds
    }
}

extension LabTopology.Host {
    /// The name reports use: `home`, `site-a`, `site-b`, …
    public var reportName: String {
        switch self {
        case .home: "home"
        case .site(let number): LabAgentConfiguration.siteName(number)
        }
    }
}
