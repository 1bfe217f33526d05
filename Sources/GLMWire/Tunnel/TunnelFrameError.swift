/// Why a UDP 5437 payload is not a tunnelled IPv4 packet this profile accepts.
public struct TunnelFrameError: Error, Hashable, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case truncated, unsupportedHeaderType, unsupportedNextHeader, lengthMismatch
            case unsupportedGRE, notIPv4, packetTooLong
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Fewer octets than a header or the inner packet needs.
        public static let truncated = Code(.truncated)
        /// A TLV header whose Type is not 0 (RFC 5845).
        public static let unsupportedHeaderType = Code(.unsupportedHeaderType)
        /// A TLV Next Header other than 4 (IPv4) or 47 (GRE).
        public static let unsupportedNextHeader = Code(.unsupportedNextHeader)
        /// A length field that disagrees with the octets present.
        public static let lengthMismatch = Code(.lengthMismatch)
        /// A GRE header with a version other than 0 or a protocol other than IPv4.
        public static let unsupportedGRE = Code(.unsupportedGRE)
        /// The inner packet is not IPv4.
        public static let notIPv4 = Code(.notIPv4)
        /// The inner packet does not fit the 16-bit TLV Length.
        public static let packetTooLong = Code(.packetTooLong)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

extension TunnelFrameError: CustomStringConvertible {
    public var description: String { "\(code): \(reason)" }
}
