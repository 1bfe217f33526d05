import Foundation
import LabProcesses

/// A live migration of the lab's VM from one QEMU to another waiting with `incoming`,
/// driven over both QMP monitors.
///
/// ``run(from:to:)`` turns on migration events on both sides, sets the source's
/// bandwidth (and downtime limit, when given), sends `migrate` to the destination's
/// unix socket, polls `query-migrate` until `completed`, waits for the destination's
/// RESUME, and (by default) quits the source QEMU: afterwards the destination is the
/// live VM and the source process is gone.
public struct LiveMigration: Sendable {
    /// The source's `max-bandwidth`, bytes per second. QEMU's default (32 MiB/s) would
    /// make a lab migration take seconds; the lab's two QEMUs share one host.
    public var maxBandwidth: Int
    /// The source's `downtime-limit`, or nil for QEMU's default (300 ms).
    public var downtimeLimit: Duration?
    /// How long the whole migration may take.
    public var timeout: Duration
    /// Whether to `quit` the source QEMU once the destination runs.
    public var quitsSource: Bool

    public init(maxBandwidth: Int = 8 << 30, downtimeLimit: Duration? = nil, timeout: Duration = .seconds(60),
                quitsSource: Bool = true) {
        self.maxBandwidth = maxBandwidth
        self.downtimeLimit = downtimeLimit
        self.timeout = timeout
        self.quitsSource = quitsSource
    }

    /// Migrates `source`'s VM to `destination` (started with `incoming`) and returns
    /// QEMU's figures. Throws ``LabVMError`` with code `migrationFailed` and QEMU's
    /// message when QEMU reports the migration failed; the source keeps running then.
    public func run(from source: VirtualMachine, to destination: VirtualMachine) async throws -> MigrationOutcome {
        guard let incoming = destination.incoming else {
            throw LabVMError(.migrationFailed, "\(destination.configuration.name) was not started with incoming: "
                + "it cannot receive a migration")
        }
        guard source.configuration.mac == destination.configuration.mac else {
            throw LabVMError(.migrationFailed, "the destination's MAC \(destination.configuration.mac) differs from "
                + "the source's \(source.configuration.mac)")
        }
        let events: JSONValue = ["capabilities": [["capability": "events", "state": true]]]
        for vm in [source, destination] {
            try await vm.qmp.execute("migrate-set-capabilities", events.objectMembers)
        }
        var parameters: [String: JSONValue] = ["max-bandwidth": .number(Double(maxBandwidth))]
        if let downtimeLimit {
            parameters["downtime-limit"] = .number(downtimeLimit.milliseconds.rounded())
        }
        try await source.qmp.execute("migrate-set-parameters", parameters)

        let requestedAt = Date().timeIntervalSince1970
        try await source.qmp.execute("migrate", ["uri": .string("unix:\(incoming)")])

        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var status = try await source.qmp.execute("query-migrate")
        while status["status"]?.string != "completed" {
            let state = status["status"]?.string ?? "none"
            if ["failed", "cancelled"].contains(state) {
                let reason = status["error-desc"]?.string ?? "no error-desc"
                throw LabVMError(.migrationFailed, "migration \(source.configuration.name) → "
                    + "\(destination.configuration.name) \(state): \(reason)")
            }
            guard clock.now < deadline else {
                _ = try? await source.qmp.execute("migrate_cancel")
                throw LabVMError(.timeout, "migration still \(state) after \(timeout); cancelled")
            }
            try await Task.sleep(for: .milliseconds(20))
            status = try await source.qmp.execute("query-migrate")
        }
        let completedAt = Date().timeIntervalSince1970
        // QEMU sets `completed` a moment before it computes `total-time` and `downtime`
        // (migration_calculate_complete runs after the state change): a poll in between
        // reads zeros, so ask again until the figures are in.
        _ = try await waitUntil(timeout: .seconds(2)) {
            if (status["total-time"]?.double ?? 0) > 0 && (status["downtime"]?.double ?? 0) > 0 { return true }
            status = try await source.qmp.execute("query-migrate")
            return false
        }

        let resumed = try await destination.qmp.waitForEvent("RESUME", timeout: .seconds(10))
        let stopped = source.qmp.events(named: "STOP").last { $0.timestamp >= requestedAt - 1 }
        if quitsSource {
            _ = try? await source.qmp.execute("quit", timeout: .seconds(5))
            if await !source.waitForExit(timeout: .seconds(5)) {
                await source.stop()
            }
        }
        let milliseconds = { (name: String) -> Duration? in
            status[name]?.double.map { .microseconds(Int64(($0 * 1000).rounded())) }
        }
        return MigrationOutcome(
            totalTime: milliseconds("total-time") ?? .seconds(completedAt - requestedAt),
            downtime: milliseconds("downtime") ?? .zero,
            setupTime: milliseconds("setup-time"),
            transferredBytes: status["ram"]?["transferred"]?.int,
            requestedAt: requestedAt, completedAt: completedAt,
            sourceStoppedAt: stopped?.timestamp, destinationResumedAt: resumed.timestamp)
    }
}

extension JSONValue {
    /// The members of an object, or nil.
    var objectMembers: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
