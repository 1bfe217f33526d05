import NIOCore

/// The associations an agent holds, by SPI, and the check of received messages.
public struct SecurityAssociations: Sendable {
    private var bySPI: [UInt32: SecurityAssociation]

    public init(_ associations: [SecurityAssociation] = []) {
        bySPI = [:]
        for association in associations { bySPI[association.spi] = association }
    }

    public subscript(spi: UInt32) -> SecurityAssociation? {
        get { bySPI[spi] }
    }

    public mutating func insert(_ association: SecurityAssociation) {
        bySPI[association.spi] = association
    }

    public var isEmpty: Bool { bySPI.isEmpty }
    public var count: Int { bySPI.count }

    /// Checks the authenticator of `header`, decoded from `bytes`, received in `scope`.
    ///
    /// `bytes` must be the same readable bytes the header was decoded from. The
    /// comparison takes the same time wherever the first difference lies.
    public func verify(_ header: MobilityHeader, bytes: ByteBuffer, scope: AuthenticationScope) -> AuthenticationVerdict {
        guard let option = header.authentication, let covered = header.authenticatedLength else {
            return .missing
        }
        guard option.subtype == MobilityMessageAuthentication.homeAgentSubtype else {
            return .unsupportedSubtype(option.subtype)
        }
        guard let association = bySPI[option.spi] else { return .unknownSPI(option.spi) }
        guard option.authenticator.count == association.algorithm.authenticatorLength,
              covered >= 6, covered <= bytes.readableBytes else {
            return .wrongLength(spi: option.spi)
        }
        let expected = bytes.withUnsafeReadableBytes { raw in
            association.authenticator(scope: scope, coveredHeader: UnsafeRawBufferPointer(rebasing: raw[0..<covered]))
        }
        return constantTimeEqual(expected, option.authenticator) ? .verified(spi: option.spi) : .mismatch(spi: option.spi)
    }
}

/// Equal-length byte comparison whose time does not depend on where the bytes differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
