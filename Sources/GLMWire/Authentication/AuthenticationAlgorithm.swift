/// The keyed MAC that a security association uses for the Mobility Message
/// Authentication option, and how much of it goes on the wire.
public enum AuthenticationAlgorithm: String, Hashable, Sendable, CaseIterable {
    /// This profile's default: HMAC-SHA-256, the first 128 bits.
    case hmacSHA256_128 = "hmac-sha256-128"
    /// RFC 4285 §5.1's algorithm: HMAC-SHA1, the first 96 bits.
    case hmacSHA1_96 = "hmac-sha1-96"

    /// Octets of authenticator carried in the option.
    public var authenticatorLength: Int {
        switch self {
        case .hmacSHA256_128: 16
        case .hmacSHA1_96: 12
        }
    }
}
