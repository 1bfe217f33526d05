/// The Mobility Message Authentication option as received (type 9, RFC 4285 §5).
public struct MobilityMessageAuthentication: Hashable, Sendable {
    /// MN-HA, the subtype this profile sends and accepts.
    public static let homeAgentSubtype: UInt8 = 1
    /// MN-AAA, decoded but never verified by this profile.
    public static let aaaSubtype: UInt8 = 2

    public var subtype: UInt8
    public var spi: UInt32
    public var authenticator: [UInt8]

    public init(subtype: UInt8, spi: UInt32, authenticator: [UInt8]) {
        self.subtype = subtype
        self.spi = spi
        self.authenticator = authenticator
    }
}

/// The outcome of checking a received message's authenticator.
public enum AuthenticationVerdict: Hashable, Sendable {
    /// The authenticator matched the association with this SPI.
    case verified(spi: UInt32)
    /// The message carried no authentication option.
    case missing
    /// No association has this SPI.
    case unknownSPI(UInt32)
    /// The option's subtype is not MN-HA.
    case unsupportedSubtype(UInt8)
    /// The authenticator's length does not match the association's algorithm.
    case wrongLength(spi: UInt32)
    /// The authenticator did not match.
    case mismatch(spi: UInt32)

    public var isVerified: Bool {
        if case .verified = self { true } else { false }
    }

    /// A short name for logs and JSON.
    public var name: String {
        switch self {
        case .verified: "verified"
        case .missing: "missing"
        case .unknownSPI: "unknown-spi"
        case .unsupportedSubtype: "unsupported-subtype"
        case .wrongLength: "wrong-length"
        case .mismatch: "mismatch"
        }
    }
}
