/// Why a link-layer frame, an IPv4 packet or a UDP datagram could not be read or built.
///
/// Compare ``code`` to tell failures apart; ``description`` adds the layer and the
/// numbers involved, for logs. New codes may be added.
public struct FrameError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, independent of where.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case truncated
            case unsupportedLinkType
            case notIPv4
            case badHeaderLength
            case totalLengthMismatch
            case badHeaderChecksum
            case badUDPLength
            case unsupportedARPFormat
            case payloadTooLarge
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Fewer bytes than the header being read needs.
        public static let truncated = Code(.truncated)
        /// The capture's link type is not one this decoder understands.
        public static let unsupportedLinkType = Code(.unsupportedLinkType)
        /// An IPv4 packet was expected but the version field says otherwise.
        public static let notIPv4 = Code(.notIPv4)
        /// The IPv4 IHL field is below 5 (20 octets).
        public static let badHeaderLength = Code(.badHeaderLength)
        /// The IPv4 Total Length is shorter than the header or longer than the bytes present.
        public static let totalLengthMismatch = Code(.totalLengthMismatch)
        /// The IPv4 header checksum does not verify.
        public static let badHeaderChecksum = Code(.badHeaderChecksum)
        /// The UDP Length is below 8 or longer than the bytes present.
        public static let badUDPLength = Code(.badUDPLength)
        /// An ARP packet for other than Ethernet (6-octet) and IPv4 (4-octet) addresses.
        public static let unsupportedARPFormat = Code(.unsupportedARPFormat)
        /// A packet to build would not fit its 16-bit length field.
        public static let payloadTooLarge = Code(.payloadTooLarge)

        public var description: String {
            switch base {
            case .truncated: "truncated"
            case .unsupportedLinkType: "unsupported link type"
            case .notIPv4: "not IPv4"
            case .badHeaderLength: "bad IPv4 header length"
            case .totalLengthMismatch: "IPv4 total length mismatch"
            case .badHeaderChecksum: "bad IPv4 header checksum"
            case .badUDPLength: "bad UDP length"
            case .unsupportedARPFormat: "unsupported ARP format"
            case .payloadTooLarge: "payload too large"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    private let detail: String

    init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "FrameError.\(code): \(detail)" }

    static func truncated(_ what: String, need: Int, have: Int) -> FrameError {
        FrameError(.truncated, "\(what) needs \(need) octets, \(have) present")
    }
}
