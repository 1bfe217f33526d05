import Foundation

/// An asynchronous QMP event (STOP, RESUME, MIGRATION, …) with QEMU's wall-clock time.
///
/// QEMU stamps each event with `gettimeofday` (seconds and microseconds since 1970), the
/// same clock as pcap timestamps on the same host, so an event and a captured frame can
/// be compared directly.
public struct QMPEvent: Sendable, Hashable, CustomStringConvertible {
    /// The event's name, for example `STOP`, `RESUME`, `MIGRATION`.
    public let name: String
    /// The event's `data` member (`.null` when absent).
    public let data: JSONValue
    /// When QEMU emitted the event, in seconds since 1970 with microsecond resolution.
    public let timestamp: Double

    public init(name: String, data: JSONValue, timestamp: Double) {
        self.name = name
        self.data = data
        self.timestamp = timestamp
    }

    /// The event in a QMP message (`{"event": …, "data": …, "timestamp": {"seconds": …,
    /// "microseconds": …}}`), or nil when the message is not an event.
    public init?(message: JSONValue) {
        guard let name = message["event"]?.string,
              let seconds = message["timestamp"]?["seconds"]?.double,
              let microseconds = message["timestamp"]?["microseconds"]?.double else { return nil }
        self.init(name: name, data: message["data"] ?? .null, timestamp: seconds + microseconds / 1_000_000)
    }

    /// ``timestamp`` as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: timestamp) }

    public var description: String {
        let data = self.data == .null ? "" : " \(self.data)"
        return "\(name)\(data) at \(String(format: "%.6f", timestamp))"
    }
}
