/// A libpcap operation failed; ``message`` is libpcap's own text.
///
/// Compare ``code`` to tell which step failed. New codes may be added.
public struct CaptureError: Error, Sendable, CustomStringConvertible {
    /// Which step failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case open, activate, filter, read, write, inject, statistics, closed, invalidArgument
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Opening a capture file, a dump file or a device.
        public static let open = Code(.open)
        /// Activating a live capture (no such device, permission denied, ...).
        public static let activate = Code(.activate)
        /// Compiling or installing a BPF filter.
        public static let filter = Code(.filter)
        /// Reading the next packet (a damaged file, a device that went away).
        public static let read = Code(.read)
        /// Writing or flushing a capture file.
        public static let write = Code(.write)
        /// Sending a frame on a live device.
        public static let inject = Code(.inject)
        /// Reading a live capture's counters.
        public static let statistics = Code(.statistics)
        /// The handle was already closed.
        public static let closed = Code(.closed)
        /// An argument libpcap cannot represent (a negative timestamp, a snapshot length of 0).
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String {
            switch base {
            case .open: "open"
            case .activate: "activate"
            case .filter: "filter"
            case .read: "read"
            case .write: "write"
            case .inject: "inject"
            case .statistics: "statistics"
            case .closed: "closed"
            case .invalidArgument: "invalid argument"
            }
        }
    }

    /// Which step failed.
    public let code: Code
    /// libpcap's status code (a `PCAP_ERROR_` value), when the call returned one.
    public let status: Int32?
    /// libpcap's error text, or ours where libpcap gives none.
    public let message: String

    init(_ code: Code, status: Int32? = nil, _ message: String) {
        self.code = code
        self.status = status
        self.message = message
    }

    public var description: String { "CaptureError.\(code): \(message)" }
}
