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
    /// The MAC with its key already absorbed: each message starts from a copy of it, so
    /// the key schedule is paid once per association, not once per message.
    private let keyed: Keyed

    private enum Keyed: @unchecked Sendable {
        // HMAC values are plain hash states; they are copied, never shared mutably.
        case sha256(HMAC<SHA256>)
        case sha1(HMAC<Insecure.SHA1>)
    }

    /// Creates an association; nil when the SPI is reserved (below ``smallestSPI``) or the
    /// key is shorter than ``minimumKeyLength``.
    public init?(spi: UInt32, algorithm: AuthenticationAlgorithm = .hmacSHA256_128, key: [UInt8]) {
        guard spi >= Self.smallestSPI, key.count >= Self.minimumKeyLength else { return nil }
        self.spi = spi
        self.algorithm = algorithm
        let symmetric = SymmetricKey(data: key)
        switch algorithm {
        case .hmacSHA256_128: keyed = .sha256(HMAC<SHA256>(key: symmetric))
        case .hmacSHA1_96: keyed = .sha1(HMAC<Insecure.SHA1>(key: symmetric))
        }
    }

    /// The truncated authenticator over `scope` and the covered Mobility Header octets.
    ///
    /// `coveredHeader` runs from the Payload Proto octet through the option's SPI; the
    /// checksum octets (4 and 5) are taken as zero whatever they hold (RFC 4285 §5.2).
    func authenticator(scope: AuthenticationScope, coveredHeader: UnsafeRawBufferPointer) -> [UInt8] {
        switch keyed {
        case .sha256(let mac): compute(mac, scope: scope, coveredHeader: coveredHeader)
        case .sha1(let mac): compute(mac, scope: scope, coveredHeader: coveredHeader)
        }
    }

    /// One contiguous input — sender | receiver | covered octets with the checksum zeroed —
    /// fed to a copy of the keyed MAC in one update.
    private func compute<H: HashFunction>(_ keyedMAC: HMAC<H>, scope: AuthenticationScope,
                                          coveredHeader: UnsafeRawBufferPointer) -> [UInt8] {
        var mac = keyedMAC
        withUnsafeTemporaryAllocation(byteCount: 8 + coveredHeader.count, alignment: 1) { input in
            input.storeBytes(of: scope.sender.rawValue.bigEndian, toByteOffset: 0, as: UInt32.self)
            input.storeBytes(of: scope.receiver.rawValue.bigEndian, toByteOffset: 4, as: UInt32.self)
            UnsafeMutableRawBufferPointer(rebasing: input[8...]).copyMemory(from: coveredHeader)
            input.storeBytes(of: UInt16(0), toByteOffset: 12, as: UInt16.self)
            mac.update(data: UnsafeRawBufferPointer(input))
        }
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
