import Foundation

/// A file in which a ``NetworkConfigurator`` writes down, ahead of each change, how to
/// undo it, so that a process killed before its teardown (`kill -9`, a crash) leaves a
/// record its successor can undo: neighbour proxies, policy rules and sysctls outlive the
/// process that set them.
///
/// One record a line, appended (no rewrite per change, so the cost does not grow with
/// the entries installed):
///
/// ```
/// + UNDO-COMMAND     an undo command to run (an iproute2 batch line)
/// - UNDO-COMMAND     that command is no longer needed (the change was undone or is gone)
/// = PATH VALUE       the sysctl PATH (below /proc/sys) had VALUE before
/// ~ PATH             forget the sysctl PATH (it vanished with its device)
/// ```
///
/// When dead records outnumber live ones the file is rewritten with the live ones only.
/// The file belongs to the running kernel: keep it under `/run`, which a reboot clears
/// along with the state it describes.
///
/// A process takes the journal with ``lock()`` (an exclusive `flock` on `PATH.lock`, which
/// the kernel releases when the process ends, however it ends) before it undoes what the
/// journal lists: a second agent started by mistake must not tear down the state of the
/// one that runs.
struct NetworkJournal {
    /// What a journal holds: the undo commands still needed, oldest first, and the
    /// sysctls' original values, in the order they were first changed.
    struct Contents: Equatable {
        var undo: [String] = []
        var sysctls: [(path: String, value: String)] = []

        static func == (left: Contents, right: Contents) -> Bool {
            left.undo == right.undo && left.sysctls.elementsEqual(right.sysctls) { $0 == $1 }
        }
    }

    enum Record {
        case installed(undo: String)
        case removed(undo: String)
        case sysctl(path: String, value: String)
        case sysctlForgotten(path: String)

        var line: String {
            switch self {
            case .installed(let undo): "+ \(undo)\n"
            case .removed(let undo): "- \(undo)\n"
            case .sysctl(let path, let value): "= \(path) \(value)\n"
            case .sysctlForgotten(let path): "~ \(path)\n"
            }
        }
    }

    let path: String
    /// Lines in the file now.
    private var lines = 0
    /// The lock file's descriptor while this process holds it.
    private var lockDescriptor: Int32 = -1

    init(path: String) {
        self.path = path
    }

    /// Takes the journal for this process, writing its id into the lock file; returns
    /// the problem when another running process holds it.
    mutating func lock() -> String? {
        guard lockDescriptor < 0 else { return nil }
        let lockPath = path + ".lock"
        createDirectory()
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return "open \(lockPath): \(Linux.errorText(errno))" }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(descriptor)
            return "held by process \(holder.isEmpty ? "?" : holder): another agent keeps this journal"
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        lockDescriptor = descriptor
        return nil
    }

    /// Releases the journal (the lock file stays, unlocked).
    mutating func unlock() {
        guard lockDescriptor >= 0 else { return }
        close(lockDescriptor)
        lockDescriptor = -1
    }

    private func createDirectory() {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
    }

    /// Appends `records`. Failures to write are returned, not thrown: the change itself
    /// goes ahead.
    mutating func append(_ records: [Record]) -> String? {
        guard !records.isEmpty else { return nil }
        lines += records.count
        createDirectory()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return "open \(path): \(Linux.errorText(errno))" }
        defer { close(descriptor) }
        let bytes = Array(records.map(\.line).joined().utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        return written == bytes.count ? nil : "write \(path): \(Linux.errorText(errno))"
    }

    /// Whether most of the file's lines are dead when `live` records are alive: time to
    /// ``rewrite(_:)`` it.
    func needsCompaction(live: Int) -> Bool {
        lines > 64 && lines > 2 * live
    }

    /// Replaces the file with `live` (or removes it when nothing is live).
    mutating func rewrite(_ live: Contents) -> String? {
        let records = live.undo.map { Record.installed(undo: $0) }
            + live.sysctls.map { Record.sysctl(path: $0.path, value: $0.value) }
        guard !records.isEmpty else {
            remove()
            return nil
        }
        let temporary = path + ".new"
        do {
            try Data(records.map(\.line).joined().utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { return "rename \(temporary): \(Linux.errorText(errno))" }
        } catch {
            return "write \(temporary): \(error)"
        }
        lines = records.count
        return nil
    }

    /// Deletes the file: nothing is left to undo.
    mutating func remove() {
        unlink(path)
        lines = 0
    }

    /// What the file at `path` holds, or nil when there is no file.
    static func read(path: String) -> Contents? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var contents = Contents()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The last element is what follows the last newline: empty, or a record torn by a
        // kill in the middle of a write, which must not run cut short.
        lines.removeLast()
        for line in lines where line.count > 2 {
            let body = String(line.dropFirst(2))
            switch line.first {
            case "+":
                contents.undo.append(body)
            case "-":
                if let index = contents.undo.lastIndex(of: body) { contents.undo.remove(at: index) }
            case "=":
                let parts = body.split(separator: " ", maxSplits: 1)
                let path = String(parts[0])
                if !contents.sysctls.contains(where: { $0.path == path }) {
                    contents.sysctls.append((path, parts.count > 1 ? String(parts[1]) : ""))
                }
            case "~":
                contents.sysctls.removeAll { $0.path == body }
            default:
                continue
            }
        }
        return contents
    }
}
