import Foundation
import GLMWire
import Logging
import Synchronization

/// Applies the OS network configuration an agent needs — links, routes, neighbour
/// proxies, policy rules, sysctls — remembers what it installed, and undoes it.
///
/// Routes, rules, neighbour proxies and addresses go to the kernel over rtnetlink (see
/// `RouteNetlink`), each acknowledged before the next: tens of microseconds, which a
/// handoff's critical path needs. Link changes, and the undo records a crashed process
/// left in its journal, go to iproute2 in batches: one `ip -batch -` process per call,
/// the commands on its standard input. Sysctls are written under `/proc/sys`; the first value seen for each
/// is kept and restored. ``teardown()`` undoes everything still installed, newest
/// first. Everything applies to the network namespace of the calling process.
///
/// With a `journal` file, how to undo each change is written down before the change is
/// made (see `NetworkJournal`), so that ``recover()`` in the next process undoes what a
/// process killed before its teardown left behind: neighbour proxies, rules and
/// sysctls outlive it (routes and settings of its TUN device vanish with the device).
///
/// Calls block while the kernel (or `ip`, a few milliseconds) answers, and are serialised.
public final class NetworkConfigurator: Sendable {
    private struct Installed {
        var change: NetworkChange
        var undo: String?
    }

    private struct State {
        var netlink: RouteNetlink?
        var installed: [Installed] = []
        var sysctls: [(Sysctl, previous: String)] = []
        var journal: NetworkJournal?

        /// What the journal must hold now.
        var live: NetworkJournal.Contents {
            NetworkJournal.Contents(undo: installed.compactMap(\.undo), sysctls: sysctls.map { ($0.0.path, $0.previous) })
        }
    }

    /// The iproute2 `ip` program used.
    public let ipCommand: String
    private let procSys: String
    private let logger: Logger
    private let state: Mutex<State>

    /// - Parameters:
    ///   - ipCommand: the `ip` program; by default the first of `/usr/sbin/ip`, `/sbin/ip`,
    ///     `/usr/bin/ip`, `/bin/ip` that exists.
    ///   - procSys: where the sysctl tree is mounted (tests may point it elsewhere).
    ///   - journal: a file (under `/run`, say) where undo records are kept until
    ///     ``teardown()``; call ``recover()`` before the first change. Nil: none.
    ///   - netlink: false sends every change through iproute2.
    public init(ipCommand: String? = nil, procSys: String = "/proc/sys", journal: String? = nil,
                netlink: Bool = true, logger: Logger = Logger(label: "glm.network")) {
        self.ipCommand = ipCommand ?? SystemProgram.path("ip") ?? "ip"
        self.procSys = procSys
        self.logger = logger
        self.state = Mutex(State(netlink: netlink ? RouteNetlink() : nil, journal: journal.map(NetworkJournal.init(path:))))
    }

    deinit {
        state.withLock { $0.journal?.unlock() }
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
            // Written ahead: undoing a change that was never made is harmless.
            record(&state, pending.compactMap { $0.undo.map { .installed(undo: $0) } })
            let result = run(pending.map(\.0), undo: false, netlink: state.netlink)
            let succeeded = result.failures.first?.index ?? pending.count
            for (change, undo) in pending.prefix(succeeded) where !state.installed.contains(where: { $0.change == change }) {
                state.installed.append(Installed(change: change, undo: undo))
            }
            record(&state, pending.dropFirst(succeeded).compactMap { $0.undo.map { .removed(undo: $0) } })
            compactJournal(&state)
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
            var reverted: [NetworkChange] = []
            var undone: [NetworkJournal.Record] = []
            for change in changes {
                if let index = state.installed.lastIndex(where: { $0.change == change }) {
                    if let undo = state.installed[index].undo {
                        commands.append(undo)
                        reverted.append(change)
                        undone.append(.removed(undo: undo))
                    }
                    state.installed.remove(at: index)
                } else if let undo = change.undoCommand(previousLink: nil) {
                    commands.append(undo)
                    reverted.append(change)
                }
            }
            guard !commands.isEmpty else { return }
            let result = reverted.allSatisfy(RouteNetlink.handles) && state.netlink != nil
                ? run(reverted, undo: true, netlink: state.netlink)
                : runBatch(commands, force: true)
            record(&state, undone)
            compactJournal(&state)
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
            let first = !state.sysctls.contains(where: { $0.0 == sysctl })
            if first {
                record(&state, [.sysctl(path: sysctl.path, value: previous)])
            }
            do throws(NetworkConfigurationError) {
                try write(sysctl, value)
            } catch {
                if first { record(&state, [.sysctlForgotten(path: sysctl.path)]) }
                throw error
            }
            if first {
                state.sysctls.append((sysctl, previous))
            }
        }
    }

    /// Fixes `interface`'s MAC address to the one it has now, when the kernel would
    /// otherwise change it: a bridge created without an address takes the lowest MAC of
    /// its ports and changes it as ports come and go (a VM's tap leaving, say), and every
    /// neighbour that learnt the old one from a proxy ARP answer or a gratuitous ARP would
    /// send into the void. Returns the address when it was fixed now, nil when it already
    /// was (`addr_assign_type` 3, set by an administrator) or for a device without one.
    @discardableResult
    public func fixAddress(of interface: String) throws(NetworkConfigurationError) -> MACAddress? {
        let base = "/sys/class/net/\(interface)"
        guard let type = try? String(contentsOfFile: "\(base)/addr_assign_type", encoding: .utf8),
              type.trimmingCharacters(in: .whitespacesAndNewlines) != "3",
              let mac = try? NetworkInterface.macAddress(of: interface) else { return nil }
        let command = "link set dev \(interface) address \(mac)"
        let result = runBatch([command], force: false)
        if let failure = result.failures.first {
            throw NetworkConfigurationError(command: "ip \(command)", standardError: failure.text)
        }
        logger.info("fixed the interface's MAC address, which followed its ports' until now",
                    metadata: ["interface": "\(interface)", "mac": "\(mac)"])
        return mac
    }

    /// The current value of a sysctl, without its trailing newline.
    public func value(of sysctl: Sysctl) throws(NetworkConfigurationError) -> String {
        try read(sysctl)
    }

    /// Forgets, without undoing, everything that belongs to `device`: for a device that
    /// is gone (a closed TUN takes its routes and settings with it).
    public func forget(device: String) {
        state.withLock { state in
            let gone = state.installed.filter { $0.change.device == device }.compactMap(\.undo)
            let goneSysctls = state.sysctls.filter { $0.0.belongs(to: device) }.map(\.0.path)
            state.installed.removeAll { $0.change.device == device }
            state.sysctls.removeAll { $0.0.belongs(to: device) }
            record(&state, gone.map { .removed(undo: $0) } + goneSysctls.map { .sysctlForgotten(path: $0) })
            compactJournal(&state)
        }
    }

    /// Undoes every installed change, newest first, and restores every sysctl written.
    ///
    /// Best effort: everything is attempted; what failed is returned (and logged).
    /// Entries already gone, such as routes of a deleted device, are not failures.
    @discardableResult
    public func teardown() -> [NetworkConfigurationError] {
        state.withLock { state in
            let failures = undo(commands: state.installed.reversed().compactMap(\.undo),
                                sysctls: state.sysctls.reversed().map { ($0.0, $0.previous) })
            state.installed.removeAll()
            state.sysctls.removeAll()
            state.journal?.remove()
            // Nothing is left to undo: a later configurator of this process (a cluster
            // member's next term) may take the journal.
            state.journal?.unlock()
            for failure in failures {
                logger.info("network teardown step failed", metadata: ["error": "\(failure)"])
            }
            return failures
        }
    }

    /// Takes the journal for this process and undoes what an earlier process recorded in
    /// it and did not undo (it was killed before its teardown): its changes, newest first,
    /// then its sysctls' original values; then the journal holds only this process's
    /// changes. Call it before the first change. Nothing to do without a journal.
    ///
    /// Throws, undoing nothing, when another running process holds the journal (a second
    /// agent with the same configuration). Otherwise best effort, like ``teardown()``:
    /// returns how many undo commands ran and what failed. Entries already gone (routes of
    /// a TUN that closed with the process) are not failures.
    @discardableResult
    public func recover() throws(NetworkConfigurationError) -> (undone: Int, failures: [NetworkConfigurationError]) {
        try state.withLock { (state: inout State) throws(NetworkConfigurationError) in
            guard let path = state.journal?.path else { return (0, []) }
            if let problem = state.journal?.lock() {
                throw NetworkConfigurationError(command: "lock \(path).lock", standardError: problem)
            }
            guard let left = NetworkJournal.read(path: path) else { return (0, []) }
            let commands = Array(left.undo.reversed())
            let failures = undo(commands: commands, sysctls: left.sysctls.reversed().map { (Sysctl(path: $0.path), $0.value) })
            let live = state.live
            if let problem = state.journal?.rewrite(live) {
                logger.info("network journal not written", metadata: ["error": "\(problem)"])
            }
            logger.info("undid the network configuration an earlier run left behind", metadata: [
                "journal": "\(path)", "commands": "\(commands.count)", "sysctls": "\(left.sysctls.count)",
                "failures": "\(failures.count)"])
            for failure in failures {
                logger.info("network recovery step failed", metadata: ["error": "\(failure)"])
            }
            return (commands.count, failures)
        }
    }

    /// Runs `commands` (all of them, whatever fails) and writes the sysctls back, in the
    /// order given; returns what failed, leaving out entries already gone. Sysctls of a
    /// device that no longer exists are skipped.
    private func undo(commands: [String], sysctls: [(Sysctl, String)]) -> [NetworkConfigurationError] {
        var failures: [NetworkConfigurationError] = []
        if !commands.isEmpty {
            let result = runBatch(commands, force: true)
            for failure in result.failures where !Self.isAlreadyGone(failure.text) {
                failures.append(NetworkConfigurationError(command: "ip \(commands[failure.index])", standardError: failure.text))
            }
        }
        for (sysctl, value) in sysctls {
            guard FileManager.default.fileExists(atPath: "\(procSys)/\(sysctl.path)") else { continue }
            do throws(NetworkConfigurationError) {
                try write(sysctl, value)
            } catch {
                failures.append(error)
            }
        }
        return failures
    }

    /// Appends `records` to the journal, if there is one.
    private func record(_ state: inout State, _ records: [NetworkJournal.Record]) {
        guard !records.isEmpty, let problem = state.journal?.append(records) else { return }
        logger.info("network journal not written; a crash would leave this change behind",
                    metadata: ["error": "\(problem)"])
    }

    /// Rewrites the journal with what is installed now when most of its records are dead,
    /// so that it grows with the entries installed, not with the changes made.
    private func compactJournal(_ state: inout State) {
        guard let journal = state.journal, journal.needsCompaction(live: state.installed.count + state.sysctls.count) else {
            return
        }
        let live = state.live
        if let problem = state.journal?.rewrite(live) {
            logger.info("network journal not compacted", metadata: ["error": "\(problem)"])
        }
    }

    // MARK: - rtnetlink

    /// Makes (or undoes) `changes` in order over rtnetlink when it handles them all, else
    /// in one iproute2 batch. Making stops at the first failure; undoing attempts every one.
    private func run(_ changes: [NetworkChange], undo: Bool, netlink: RouteNetlink?) -> BatchResult {
        guard let netlink, changes.allSatisfy(RouteNetlink.handles) else {
            return runBatch(changes.map { undo ? ($0.undoCommand(previousLink: nil) ?? $0.command) : $0.command }, force: undo)
        }
        var result = BatchResult()
        for (index, change) in changes.enumerated() {
            do throws(NetworkConfigurationError) {
                try netlink.perform(change, undo: undo)
            } catch {
                result.failures.append((index, error.standardError))
                if !undo {
                    result.completed = index + 1
                    return result
                }
            }
            result.completed = index + 1
        }
        return result
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
