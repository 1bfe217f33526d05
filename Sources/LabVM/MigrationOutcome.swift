/// What a completed live migration measured: QEMU's own figures from `query-migrate`
/// and the wall-clock instants of the switch-over from QMP events.
///
/// Instants are seconds since 1970 (QEMU's `gettimeofday`, microsecond resolution), the
/// clock of pcap timestamps on the same host.
public struct MigrationOutcome: Sendable, Hashable, CustomStringConvertible {
    /// QEMU's `total-time`: from `migrate` to completion.
    public let totalTime: Duration
    /// QEMU's `downtime`: how long the VM was stopped on neither host running.
    public let downtime: Duration
    /// QEMU's `setup-time`, when reported.
    public let setupTime: Duration?
    /// RAM bytes sent (`ram.transferred`), when reported.
    public let transferredBytes: Int?
    /// When `migrate` was sent.
    public let requestedAt: Double
    /// When the poll saw `completed`.
    public let completedAt: Double
    /// The source's STOP event: the VM stopped running there.
    public let sourceStoppedAt: Double?
    /// The destination's RESUME event: the VM runs there.
    public let destinationResumedAt: Double?

    public init(totalTime: Duration, downtime: Duration, setupTime: Duration?, transferredBytes: Int?,
                requestedAt: Double, completedAt: Double, sourceStoppedAt: Double?, destinationResumedAt: Double?) {
        self.totalTime = totalTime
        self.downtime = downtime
        self.setupTime = setupTime
        self.transferredBytes = transferredBytes
        self.requestedAt = requestedAt
        self.completedAt = completedAt
        self.sourceStoppedAt = sourceStoppedAt
        self.destinationResumedAt = destinationResumedAt
    }

    /// The switch-over as the two QEMUs' events saw it: from the source's STOP to the
    /// destination's RESUME.
    public var stoppedToResumed: Duration? {
        guard let stopped = sourceStoppedAt, let resumed = destinationResumedAt else { return nil }
        return .microseconds(Int64(((resumed - stopped) * 1_000_000).rounded()))
    }

    public var description: String {
        var parts = ["total \(totalTime.milliseconds) ms", "downtime \(downtime.milliseconds) ms"]
        if let setupTime { parts.append("setup \(setupTime.milliseconds) ms") }
        if let transferredBytes { parts.append("\(transferredBytes / 1024) KiB sent") }
        if let stoppedToResumed { parts.append("STOP→RESUME \(stoppedToResumed.milliseconds) ms") }
        return parts.joined(separator: ", ")
    }
}

extension Duration {
    /// The duration in milliseconds, as a `Double`.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
