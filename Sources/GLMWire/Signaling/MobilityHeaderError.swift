/// Why a Mobility Header could not be decoded or encoded.
///
/// Compare `code` to tell failures apart; `offset` is the byte offset from the start of
/// the Mobility Header where the problem was found, and `reason` says it for a person.
/// New codes may be added, so switch over them with a default.
public struct MobilityHeaderError: Error, Hashable, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case truncated
            case trailingBytes
            case headerLengthTooShort
            case invalidPayloadProto
            case unknownMessageType
            case optionOverrunsMessage
            case invalidOptionLength
            case duplicateOption
            case misplacedAuthentication
            case valueOutOfRange
            case messageTooLong
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input ends before the 8-octet minimum or before the length Header Len states.
        public static let truncated = Code(.truncated)
        /// The input goes on past the length Header Len states.
        public static let trailingBytes = Code(.trailingBytes)
        /// Header Len leaves no room for the message type's fixed fields.
        public static let headerLengthTooShort = Code(.headerLengthTooShort)
        /// Payload Proto is not 59 (IPPROTO_NONE), as RFC 6275 §6.1.1 requires.
        public static let invalidPayloadProto = Code(.invalidPayloadProto)
        /// An MH Type (or Binding Revocation type) this profile does not know.
        public static let unknownMessageType = Code(.unknownMessageType)
        /// An option's length runs past the end of the message.
        public static let optionOverrunsMessage = Code(.optionOverrunsMessage)
        /// A known option with a length its definition does not allow.
        public static let invalidOptionLength = Code(.invalidOptionLength)
        /// An option that may appear once appears twice.
        public static let duplicateOption = Code(.duplicateOption)
        /// The authentication option is followed by an option other than padding.
        public static let misplacedAuthentication = Code(.misplacedAuthentication)
        /// A field holds a value its definition does not allow.
        public static let valueOutOfRange = Code(.valueOutOfRange)
        /// The message would not fit the 2048 octets that an 8-bit Header Len can state.
        public static let messageTooLong = Code(.messageTooLong)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// Byte offset from the start of the Mobility Header.
    public let offset: Int
    /// The reason, for logs and operators.
    public let reason: String

    public init(_ code: Code, at offset: Int, _ reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }
}

extension MobilityHeaderError: CustomStringConvertible {
    public var description: String { "\(code) at offset \(offset): \(reason)" }
}
