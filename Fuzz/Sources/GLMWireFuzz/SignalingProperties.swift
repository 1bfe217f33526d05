import GLMWire
import NIOCore

/// What must hold for any octets offered to the signaling decoder.
///
/// * Decoding never crashes, and gives the same result from a `ByteBuffer`, from an
///   array, and from a buffer whose readable bytes start past index 0.
/// * Verifying a decoded message never crashes and does not depend on where the
///   readable bytes start.
/// * A decoded message re-encodes (unsigned and signed with either algorithm) unless it
///   would pass the 2048-octet limit, and the encoding decodes to the same message,
///   verifies when signed, and re-encodes to the same octets.
enum SignalingProperties {
    static let sha256 = SecurityAssociation(spi: 0x100, algorithm: .hmacSHA256_128,
                                            key: Array(0..<32).map { UInt8($0) })!
    static let sha1 = SecurityAssociation(spi: 0x200, algorithm: .hmacSHA1_96,
                                          key: Array(100..<120).map { UInt8($0) })!
    static let associations = SecurityAssociations([sha256, sha1])
    static let scope = AuthenticationScope(sender: IPv4Address(198, 18, 1, 2),
                                           receiver: IPv4Address(198, 18, 0, 2))

    static func check(_ bytes: [UInt8]) {
        let buffer = ByteBuffer(bytes: bytes)
        let fromBuffer = decode(buffer)
        let fromArray = Result { () throws(MobilityHeaderError) in try MobilityHeader(decoding: bytes) }
        require(fromArray == fromBuffer, "decoding an array and a ByteBuffer of the same octets differs: \(fromArray) vs \(fromBuffer)")
        let shifted = shiftedBuffer(bytes)
        let fromShifted = decode(shifted)
        require(fromShifted == fromBuffer, "decoding depends on the reader index: \(fromShifted) vs \(fromBuffer)")

        guard case .success(let header) = fromBuffer else { return }
        let verdict = associations.verify(header, bytes: buffer, scope: scope)
        let shiftedVerdict = associations.verify(header, bytes: shifted, scope: scope)
        require(verdict == shiftedVerdict, "verification depends on the reader index: \(verdict) vs \(shiftedVerdict)")
        if header.authentication == nil {
            require(verdict == .missing, "a message without authentication got verdict \(verdict)")
        }

        roundTrip(header.message, signer: nil)
        for association in [sha256, sha1] {
            roundTrip(header.message, signer: MessageSigner(association: association, scope: scope))
        }
    }

    private static func decode(_ buffer: ByteBuffer) -> Result<MobilityHeader, MobilityHeaderError> {
        Result { () throws(MobilityHeaderError) in try MobilityHeader(decoding: buffer) }
    }

    private static func roundTrip(_ message: MobilityMessage, signer: MessageSigner?) {
        let signing = signer.map { "signed by SPI \($0.association.spi)" } ?? "unsigned"
        let encoded: ByteBuffer
        do throws(MobilityHeaderError) {
            encoded = try MobilityHeader.encode(message, signer: signer)
        } catch where error.code == .messageTooLong {
            // Options the input packed without alignment padding can outgrow 2048 octets.
            return
        } catch {
            fatalError("re-encoding a decoded message (\(signing)) failed: \(error); message: \(message)")
        }
        require(encoded.readableBytes % 8 == 0 && encoded.readableBytes <= MobilityHeader.maximumLength,
                "re-encoding (\(signing)) gave \(encoded.readableBytes) octets")

        let decoded: MobilityHeader
        do throws(MobilityHeaderError) {
            decoded = try MobilityHeader(decoding: encoded)
        } catch {
            fatalError("the re-encoding (\(signing)) does not decode: \(error); octets \(encoded.readableBytesView.hexString)")
        }
        require(decoded.message == message,
                "round trip (\(signing)) changed the message: \(message) became \(decoded.message)")

        if let signer {
            let spi = signer.association.spi
            require(decoded.authentication?.spi == spi, "the re-encoding carries \(String(describing: decoded.authentication)), not SPI \(spi)")
            let verdict = associations.verify(decoded, bytes: encoded, scope: signer.scope)
            require(verdict == .verified(spi: spi), "the re-encoding signed by SPI \(spi) does not verify: \(verdict)")
        } else {
            require(decoded.authentication == nil && decoded.authenticatedLength == nil,
                    "an unsigned re-encoding decodes with authentication \(String(describing: decoded.authentication))")
        }

        let again = try? MobilityHeader.encode(decoded.message, signer: signer)
        require(again == encoded, "encoding is not canonical (\(signing)): \(encoded.readableBytesView.hexString) then \(again.map { $0.readableBytesView.hexString } ?? "an error")")
    }
}

/// The same octets behind three octets already read, so that indices relative to the
/// reader index are exercised.
func shiftedBuffer(_ bytes: [UInt8]) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeBytes([0xa5, 0x5a, 0xa5])
    buffer.writeBytes(bytes)
    buffer.moveReaderIndex(forwardBy: 3)
    return buffer
}

/// Stops the process, which libFuzzer reports as a crash, when a property does not hold.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
