import Foundation
import GLMWire
import Logging
import Synchronization

/// Applies the OS network configuration an agent needs — links, routes, neighbour
/// proxies, policy rules, sysctls — remembers what it installed, and undoes it.
///
/// Changes go to iproute2 in batches: one `ip -batch -` process per call, the
/// commands on its standard input, so installing a VM's route and proxy entry costs
/// one process. Sysctls are written under `/proc/sys`; the first value seen for each
/// is kept and restored. ``teardown()`` undoes everything still installed, newest
/// first. Everything applies to the network namespace of the calling process.
///
/// Calls block while `ip` runs (a few milliseconds) and are serialised.
public final class NetworkConfigurator: Sendable {
    private struct Installed {
        var change: NetworkChange
        var undo: String?
    }

    private struct State {
        var installed: [Installed] = []
        var sysctls: [(Sysctl, previous: String)] = []
    }

    /// The iproute2 `ip` program used.
    public let ipCommand: String
    private let procSys: String
    private let logger: Logger
    private let state = Mutex(State())

    /// - Parameters:
    ///   - ipCommand: the `ip` program; by default the first of `/usr/sbin/ip`, `/sbin/ip`,
    ///     `/usr/bin/ip`, `/bin/ip` that exists.
    ///   - procSys: where the sysctl tree is mounted (tests may point it elsewhere).
    public init(ipCommand: String? = nil, procSys: String = "/proc/sys",
                logger: Logger = Logger(label: "glm.network")) {
        self.ipCommand = ipCommand ?? ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "ip"
        self.procSys = procSys
        self.logger = logger
    }

    /// The changes installed and not undone, oldest first.
    public var installed: [NetworkChange] {
        state.withLock { $0.installed.map(\.change) }
    }

    /// Applies `changes` in order, in one iproute2 batch.
    ///
    /// Stops at the first change iproute2 refuses and throws its command and standard
    /// error; the changes before it stay installed (and recorded). Re-applying an
    /// installed change runs it again without recording it twice (`replace` is
    /// idempotent); an installed rule is not added twice.
    public func apply(_ changes: [NetworkChange]) throws(NetworkConfigurationError) {
        try state.withLock { (state: inout State) throws(NetworkConfigurationError) in
            var pending: [(NetworkChange, undo: String?)] = []
            for change in changes {
                let recorded = state.installed.contains { $0.change == change }
                if recorded, case .rule = change { continue }
                if recorded || pending.contains(where: { $0.0 == change }) {
                    pending.append((change, nil))
                    continue
                }
                var previousLink: NetworkChange.LinkState? = nil
                if case .link(let name, _, _) = change { previousLink = linkState(name) }
                pending.append((change, change.undoCommand(previousLink: previousLink)))
            }
            guard !pending.isEmpty else { return }
            let result = runBatch(pending.map(\.0.command), force: false)
            let succeeded = result.failures.first?.index ?? pending.count
            for (change, undo) in pending.prefix(succeeded) where !state.installed.contains(where: { $0.change == change }) {
                state.installed.append(Installed(change: change, undo: undo))
            }
            if let failure = result.failures.first {
                throw NetworkConfigurationError(command: "ip \(pending[failure.index].0.command)",
                                                standardError: failure.text)
            }
            logger.debug("network configuration applied", metadata: ["commands": "\(pending.map(\.0.command))"])
        }
    }

    /// Undoes `changes` (installed or not: an entry left by an earlier run can be
    /// removed too) and forgets them. Undoing what is already gone is no error.
    public func revert(_ changes: [NetworkChange]) throws(NetworkConfigurationError) {
        try state.withLock { (state: inout State) throws(NetworkConfigurationError) in
            var commands: [String] = []
            for change in changes {
                if let index = state.installed.lastIndex(where: { $0.change == change }) {
                    if let undo = state.installed[index].undo { commands.append(undo) }
                    state.installed.remove(at: index)
                } else if let undo = change.undoCommand(previousLink: nil) {
                    commands.append(undo)
                }
            }
            guard !commands.isEmpty else { return }
            let result = runBatch(commands, force: true)
            if let failure = result.failures.first(where: { !Self.isAlreadyGone($0.text) }) {
                throw NetworkConfigurationError(command: "ip \(commands[failure.index])", standardError: failure.text)
            }
        }
    }

    /// Writes `value` to a sysctl, remembering the value it had the first time.
    public func set(_ sysctl: Sysctl, to value: String) throws(NetworkConfigurationError) {
        try state.withLock { (state: inout State) throws(NetworkConfigurationError) in
            let previous = try read(sysctl)
            if previous == value { return }
            try write(sysctl, value)
            if !state.sysctls.contains(where: { $0.0 == sysctl }) {
                state.sysctls.append((sysctl, previous))
            }
        }
    }

    /// The current value of a sysctl, without its trailing newline.
    public func value(of sysctl: Sysctl) throws(NetworkConfigurationError) -> String {
        try read(sysctl)
    }

    /// Forgets, without undoing, everything that belongs to `device`: for a device that
    /// is gone (a closed TUN takes its routes and settings with it).
    public func forget(device: String) {
        state.withLock { state in
            state.installed.removeAll { $0.change.device == device }
            state.sysctls.removeAll { $0.0.belongs(to: device) }
        }
    }

    /// Undoes every installed change, newest first, and restores every sysctl written.
    ///
    /// Best effort: everything is attempted; what failed is returned (and logged).
    /// Entries already gone, such as routes of a deleted device, are not failures.
    @discardableResult
    public func teardown() -> [NetworkConfigurationError] {
        state.withLock { state in
            var failures: [NetworkConfigurationError] = []
            let commands = state.installed.reversed().compactMap(\.undo)
            state.installed.removeAll()
            if !commands.isEmpty {
                let result = runBatch(commands, force: true)
                for failure in result.failures where !Self.isAlreadyGone(failure.text) {
                    failures.append(NetworkConfigurationError(command: "ip \(commands[failure.index])",
                                                              standardError: failure.text))
                }
            }
            for (sysctl, previous) in state.sysctls.reversed() {
                guard FileManager.default.fileExists(atPath: "\(procSys)/\(sysctl.path)") else { continue }
                do throws(NetworkConfigurationError) {
                    try write(sysctl, previous)
                } catch {
                    failures.append(error)
                }
            }
            state.sysctls.removeAll()
            for failure in failures {
                logger.info("network teardown step failed", metadata: ["error": "\(failure)"])
            }
            return failures
        }
    }

    // MARK: - iproute2

    /// What became of each command of a batch.
    struct BatchResult {
        /// The commands iproute2 refused, by index, with what it printed for each.
        var failures: [(index: Int, text: String)] = []
        /// How many commands ran (succeeded or failed); the rest did not run.
        var completed = 0
    }

    /// Runs `commands` in `ip -batch -`. Without `force` the batch stops at the first
    /// failure; with it every command is attempted.
    ///
    /// After each command the batch runs `link show dev lo` with `-o`, which prints
    /// exactly one line: counting those lines tells how far the batch got, even when
    /// `ip` exits in the middle without saying where (a failing `neigh` command does).
    private func runBatch(_ commands: [String], force: Bool) -> BatchResult {
        var result = BatchResult()
        while result.completed < commands.count {
            let remaining = Array(commands[result.completed...])
            let run = runOnce(remaining, force: force)
            let base = result.completed
            result.failures += run.failures.map { (base + $0.index, $0.text) }
            result.completed += run.completed
            if !force && !run.failures.isEmpty { break }
            if run.completed == 0 && run.failures.isEmpty { break }  // `ip` could not run at all
        }
        return result
    }

    private static let progressMarker = "link show dev lo"

    private func runOnce(_ commands: [String], force: Bool) -> BatchResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipCommand)
        process.arguments = ["-o"] + (force ? ["-force"] : []) + ["-batch", "-"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return BatchResult(failures: [(0, "cannot run \(ipCommand): \(error)")], completed: 1)
        }
        let script = commands.map { "\($0)\n\(Self.progressMarker)\n" }.joined()
        try? input.fileHandleForWriting.write(contentsOf: Data(script.utf8))
        try? input.fileHandleForWriting.close()
        // Small batches: both pipes' contents fit their buffers, so reading one after
        // the other cannot block `ip`.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()

        let reached = outputData.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let diagnostics = Self.diagnostics(in: String(decoding: errorData, as: UTF8.self))
        // Batch line 2i+1 is command i; markers sit on the even lines.
        var result = BatchResult()
        result.failures = diagnostics.failures.compactMap { line, text in
            line % 2 == 1 && (line - 1) / 2 < commands.count ? ((line - 1) / 2, text) : nil
        }
        result.completed = min(reached, commands.count)
        let stoppedWithoutMarker = result.completed < commands.count
            && !result.failures.contains { $0.index == result.completed }
        if stoppedWithoutMarker && (process.terminationStatus != 0 || !diagnostics.trailing.isEmpty) {
            result.failures.append((result.completed, diagnostics.trailing.isEmpty
                ? "ip exited with status \(process.terminationStatus)" : diagnostics.trailing))
            result.completed += 1
        } else if result.failures.contains(where: { $0.index == result.completed }) {
            result.completed += 1
        }
        return result
    }

    /// Splits iproute2's batch diagnostics: each failing line's messages are followed
    /// by `Command failed -:LINE`; text after the last such line belongs to a command
    /// that made `ip` exit.
    static func diagnostics(in standardError: String) -> (failures: [(line: Int, text: String)], trailing: String) {
        var failures: [(line: Int, text: String)] = []
        var pending: [Substring] = []
        for line in standardError.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("Command failed -:"), let number = Int(line.dropFirst("Command failed -:".count)) {
                failures.append((number, pending.joined(separator: "\n")))
                pending.removeAll()
            } else {
                pending.append(line)
            }
        }
        return (failures, pending.joined(separator: "\n"))
    }

    /// iproute2's answers when the thing to delete does not exist (any more).
    static func isAlreadyGone(_ text: String) -> Bool {
        ["Cannot find device", "No such process", "No such file or directory", "No such device",
         "Cannot assign requested address", "does not exist"].contains { text.contains($0) }
    }

    // MARK: - sysfs and procfs

    private func linkState(_ name: String) -> NetworkChange.LinkState? {
        guard let mtuText = try? String(contentsOfFile: "/sys/class/net/\(name)/mtu", encoding: .utf8),
              let mtu = Int(mtuText.trimmingCharacters(in: .whitespacesAndNewlines)),
              let flagsText = try? String(contentsOfFile: "/sys/class/net/\(name)/flags", encoding: .utf8),
              let flags = Int(flagsText.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(2), radix: 16)
        else { return nil }
        return NetworkChange.LinkState(mtu: mtu, up: flags & 1 != 0)
    }

    private func read(_ sysctl: Sysctl) throws(NetworkConfigurationError) -> String {
        do {
            return try String(contentsOfFile: "\(procSys)/\(sysctl.path)", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw NetworkConfigurationError(command: "sysctl \(sysctl)", standardError: "\(error)")
        }
    }

    private func write(_ sysctl: Sysctl, _ value: String) throws(NetworkConfigurationError) {
        let path = "\(procSys)/\(sysctl.path)"
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw NetworkConfigurationError(command: "sysctl -w \(sysctl)=\(value)",
                                            standardError: "open \(path): \(Linux.errorText(errno))")
        }
        defer { close(descriptor) }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw NetworkConfigurationError(command: "sysctl -w \(sysctl)=\(value)",
                                            standardError: "write \(path): \(Linux.errorText(errno))")
        }
    }
}
