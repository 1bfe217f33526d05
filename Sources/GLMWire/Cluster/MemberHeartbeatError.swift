/// Why a UDP 5438 payload is not a member heartbeat of this cluster, or why a heartbeat
/// cannot be built.
///
/// Compare `code` to tell failures apart; `reason` says it for a person. New codes may
/// be added, so switch over them with a default.
public struct MemberHeartbeatError: Error, Hashable, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case truncated
            case trailingBytes
            case wrongMagic
            case unsupportedVersion
            case nonzeroReserved
            case invalidNameLength
            case invalidNameCharacter
            case authenticatorMismatch
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input ends before the fixed fields, or before the name and authenticator
        /// that its name length states.
        public static let truncated = Code(.truncated)
        /// The input goes on past the authenticator.
        public static let trailingBytes = Code(.trailingBytes)
        /// The first four octets are not `GLMC`: not a member heartbeat at all.
        public static let wrongMagic = Code(.wrongMagic)
        /// A version other than 1.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The two reserved octets are not zero.
        public static let nonzeroReserved = Code(.nonzeroReserved)
        /// A member name shorter than 1 octet or longer than 63.
        public static let invalidNameLength = Code(.invalidNameLength)
        /// A member name with an octet other than an ASCII letter, digit, `-`, `_` or `.`.
        public static let invalidNameCharacter = Code(.invalidNameCharacter)
        /// The authenticator is not the one the cluster's key gives: another key, or
        /// altered octets.
        public static let authenticatorMismatch = Code(.authenticatorMismatch)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// The reason, for logs and operators.
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

extension MemberHeartbeatError: CustomStringConvertible {
    public var description: String { "\(code): \(reason)" }
}
