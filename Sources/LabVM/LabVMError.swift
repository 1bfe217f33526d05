import Foundation

/// Why the lab's VM could not be built, started, driven or migrated.
///
/// The ``code`` says which step failed (compare codes, not messages); the description
/// says what to do about it, in the words of the program that refused when there is one.
public struct LabVMError: Error, CustomStringConvertible, Sendable {
    /// The step that failed. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Step: String, Sendable {
            case missingTool, guestImage, startFailed, qmp, qmpCommand, console, timeout, migrationFailed
        }
        private let step: Step
        private init(_ step: Step) { self.step = step }

        /// A program the lab needs is not installed.
        public static let missingTool = Code(.missingTool)
        /// The guest kernel or initramfs could not be fetched or built.
        public static let guestImage = Code(.guestImage)
        /// QEMU refused to start, or its pidfile never appeared.
        public static let startFailed = Code(.startFailed)
        /// The QMP connection failed or spoke something other than QMP.
        public static let qmp = Code(.qmp)
        /// QEMU answered a QMP command with an error.
        public static let qmpCommand = Code(.qmpCommand)
        /// The serial console's socket failed.
        public static let console = Code(.console)
        /// Something did not happen in time.
        public static let timeout = Code(.timeout)
        /// QEMU reported the migration as failed.
        public static let migrationFailed = Code(.migrationFailed)

        public var description: String { step.rawValue }
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
