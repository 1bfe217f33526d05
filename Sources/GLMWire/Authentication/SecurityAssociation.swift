import Crypto

/// A shared secret between a site agent and a home agent, named by its SPI.
///
/// The SPI in a received authentication option selects the association, and with it the
/// key and the algorithm. Keys shorter than ``minimumKeyLength`` are refused.
public struct SecurityAssociation: Sendable {
    /// 128 bits: shorter keys are refused.
    public static let minimumKeyLength = 16
    /// RFC 4285 §5 reserves SPIs 0-255.
    public static let smallestSPI: UInt32 = 256

    public let spi: UInt32
    public let algorithm: AuthenticationAlgorithm
    let key: SymmetricKey

    /// Creates an association; nil when the SPI is reserved (below ``smallestSPI``) or the
    /// key is shorter than ``minimumKeyLength``.
    public init?(spi: UInt32, algorithm: AuthenticationAlgorithm = .hmacSHA256_128, key: [UInt8]) {
        guard spi >= Self.smallestSPI, key.count >= Self.minimumKeyLength else { return nil }
        self.spi = spi
        self.algorithm = algorithm
        self.key = SymmetricKey(data: key)
    }

    /// The truncated authenticator over `scope` and the covered Mobility Header octets.
    ///
    /// `coveredHeader` runs from the Payload Proto octet through the option's SPI; the
    /// checksum octets (4 and 5) are taken as zero whatever they hold (RFC 4285 §5.2).
    func authenticator(scope: AuthenticationScope, coveredHeader: UnsafeRawBufferPointer) -> [UInt8] {
        switch algorithm {
        case .hmacSHA256_128:
            compute(HMAC<SHA256>.self, scope: scope, coveredHeader: coveredHeader)
        case .hmacSHA1_96:
            compute(HMAC<Insecure.SHA1>.self, scope: scope, coveredHeader: coveredHeader)
        }
    }

    private func compute<H: HashFunction>(_: HMAC<H>.Type, scope: AuthenticationScope,
                                          coveredHeader: UnsafeRawBufferPointer) -> [UInt8] {
        var mac = HMAC<H>(key: key)
        withUnsafeBytes(of: scope.sender.rawValue.bigEndian) { mac.update(data: $0) }
        withUnsafeBytes(of: scope.receiver.rawValue.bigEndian) { mac.update(data: $0) }
        mac.update(data: UnsafeRawBufferPointer(rebasing: coveredHeader[0..<4]))
        withUnsafeBytes(of: UInt16(0)) { mac.update(data: $0) }
        mac.update(data: UnsafeRawBufferPointer(rebasing: coveredHeader[6...]))
        let code = mac.finalize()
        return code.withUnsafeBytes { Array($0.prefix(algorithm.authenticatorLength)) }
    }
}

/// The two IPv4 addresses an authenticator binds a message to, in the order of
/// `Docs/protocol.md`: the sender's, then the receiver's, as they appear in the outer
/// IPv4 header.
public struct AuthenticationScope: Hashable, Sendable {
    public var sender: IPv4Address
    public var receiver: IPv4Address

    public init(sender: IPv4Address, receiver: IPv4Address) {
        self.sender = sender
        self.receiver = receiver
    }
}

/// What an encoder needs to sign a message: the association and the scope.
public struct MessageSigner: Sendable {
    public var association: SecurityAssociation
    public var scope: AuthenticationScope

    public init(association: SecurityAssociation, scope: AuthenticationScope) {
        self.association = association
        self.scope = scope
    }
}
