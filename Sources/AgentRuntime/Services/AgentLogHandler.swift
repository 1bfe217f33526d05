import Foundation
import Logging
import Synchronization

/// The agents' log lines on standard error, in the form the place they go reads best:
///
/// * `text`: `2026-12-03T15:21:58+0000 info glm.home-agent: key=value [Module] message`,
///   metadata sorted by key (what a terminal or a file gets);
/// * `journal`: the same without the time (journald stamps each line), prefixed with the
///   line's priority as sd-daemon(3) defines it (`<4>` warning … `<7>` debug), so that
///   `journalctl -p warning` shows the warnings and worse. Chosen by itself when standard
///   error is the journal's stream (`JOURNAL_STREAM` names its device and inode);
/// * `json`: one object per line, `{"time", "level", "label", "source", "message",
///   "metadata"}`, for a log shipper; under journald with the priority prefix too.
public struct AgentLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: Format
    private let journal: Bool

    public init(label: String, level: Logger.Level, format: Format, journal: Bool = AgentLogHandler.standardErrorIsJournal) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        let line = Self.line(level: event.level, label: label, message: "\(event.message)", metadata: merged,
                             source: event.source, at: Date(), format: format, journal: journal)
        // Straight to descriptor 2, whole lines: a closed or broken stream loses the line
        // and never stops the agent.
        Self.output.withLock { _ in
            let bytes = Array(line.utf8)
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
                if count > 0 { written += count } else if count < 0, errno == EINTR { continue } else { break }
            }
        }
    }

    /// One line as written, newline included.
    package static func line(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String,
                     at time: Date, format: Format, journal: Bool) -> String {
        let prefix = journal ? "<\(priority(level))>" : ""
        switch format {
        case .text:
            let fields = metadata.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
            let stamp = journal ? "" : Self.timestamp(time) + " "
            return "\(prefix)\(stamp)\(level) \(label):\(fields) [\(source)] \(message)\n"
        case .json:
            var object: [String: Any] = ["time": Self.timestamp(time), "level": level.rawValue, "label": label,
                                         "source": source, "message": message]
            if !metadata.isEmpty { object["metadata"] = metadata.mapValues(Self.json) }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return prefix + String(decoding: data, as: UTF8.self) + "\n"
        }
    }

    /// The syslog priority of a level (sd-daemon(3)'s `<N>` prefixes).
    package static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Whether standard error is connected to journald: `JOURNAL_STREAM` is `DEVICE:INODE`
    /// of the stream systemd gave the service, and it must still be ours (a child whose
    /// standard error was redirected inherits the variable).
    public static var standardErrorIsJournal: Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let value): value.description
        case .array(let values): values.map(json)
        case .dictionary(let values): values.mapValues(json)
        }
    }

    /// Local time as `2026-12-03T15:21:58+0000`.
    private static func timestamp(_ time: Date) -> String {
        var seconds = time_t(time.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [Int8](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Lines from several threads never interleave.
    private static let output = Mutex(())
}
