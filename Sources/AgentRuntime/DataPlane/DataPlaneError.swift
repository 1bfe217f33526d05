/// Why the data plane could not open a device or socket, start a thread, or accept a route.
public struct DataPlaneError: Error, Hashable, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case tunDevice, socket, thread, invalidArgument, notRunning, alreadyStarted, interface, kernelProgram
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `/dev/net/tun` could not be opened or configured.
        public static let tunDevice = Code(.tunDevice)
        /// The UDP or packet socket could not be created, configured or bound.
        public static let socket = Code(.socket)
        /// A worker thread or its wake-up pipe could not be created.
        public static let thread = Code(.thread)
        /// A route, name or setting outside what the data plane accepts.
        public static let invalidArgument = Code(.invalidArgument)
        /// The operation needs a started data plane.
        public static let notRunning = Code(.notRunning)
        /// ``TunnelDataPlane/start()`` was called twice.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// A network interface is missing or its attributes cannot be read.
        public static let interface = Code(.interface)
        /// The kernel refused the eBPF programs, their maps, or their attachment.
        public static let kernelProgram = Code(.kernelProgram)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The `errno` of the failing system call, if one failed.
    public let systemError: Int32?
    public let reason: String

    public init(_ code: Code, systemError: Int32? = nil, _ reason: String) {
        self.code = code
        self.systemError = systemError
        self.reason = reason
    }
}

extension DataPlaneError: CustomStringConvertible {
    public var description: String {
        if let systemError {
            return "\(code): \(reason): \(Linux.errorText(systemError)) (errno \(systemError))"
        }
        return "\(code): \(reason)"
    }
}
