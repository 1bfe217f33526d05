import NIOCore

/// A Mobility Header as received over UDP 5436: the message, and the authentication
/// option that closed it, if any.
///
/// Decoding is strict (see ``MobilityHeaderError``) and does not check the
/// authenticator; ``SecurityAssociations/verify(_:bytes:scope:)`` does, on the same
/// bytes. The MH checksum is ignored, as RFC 5844 §4.1.3.2 requires over UDP.
public struct MobilityHeader: Hashable, Sendable {
    /// Payload Proto: IPPROTO_NONE (RFC 6275 §6.1.1).
    public static let payloadProto: UInt8 = 59
    /// Octets before the options in every message of this profile.
    public static let fixedLength = 12
    /// The longest Mobility Header an 8-bit Header Len can state: (255 + 1) × 8.
    public static let maximumLength = 2048

    public var message: MobilityMessage
    /// The authentication option, when the message carried one.
    public var authentication: MobilityMessageAuthentication?
    /// How many leading octets the authenticator covers (through the SPI), when present.
    public var authenticatedLength: Int?

    public init(message: MobilityMessage, authentication: MobilityMessageAuthentication? = nil,
                authenticatedLength: Int? = nil) {
        self.message = message
        self.authentication = authentication
        self.authenticatedLength = authenticatedLength
    }

    /// Decodes the readable bytes of `buffer`, which must hold exactly one Mobility Header.
    public init(decoding buffer: ByteBuffer) throws(MobilityHeaderError) {
        let result = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(MobilityHeaderError) in try Self.decode(WireBytes(raw: raw)) }
        }
        self = try result.get()
    }

    /// Decodes `bytes`, which must hold exactly one Mobility Header.
    public init(decoding bytes: some Collection<UInt8>) throws(MobilityHeaderError) {
        let result = bytes.withContiguousStorageIfAvailable { storage in
            Result { () throws(MobilityHeaderError) in try Self.decode(WireBytes(raw: UnsafeRawBufferPointer(storage))) }
        } ?? Array(bytes).withUnsafeBytes { raw in
            Result { () throws(MobilityHeaderError) in try Self.decode(WireBytes(raw: raw)) }
        }
        self = try result.get()
    }

    private static func decode(_ bytes: WireBytes) throws(MobilityHeaderError) -> MobilityHeader {
        // RFC 6275 §6.1.1: the header itself is 6 octets and the whole an 8-octet multiple.
        guard bytes.count >= 8 else {
            throw MobilityHeaderError(.truncated, at: bytes.count, "\(bytes.count) octets, less than the 8-octet minimum")
        }
        let proto = bytes.u8(0)
        guard proto == payloadProto else {
            throw MobilityHeaderError(.invalidPayloadProto, at: 0, "Payload Proto \(proto), expected 59")
        }
        let length = (Int(bytes.u8(1)) + 1) * 8
        guard bytes.count >= length else {
            throw MobilityHeaderError(.truncated, at: bytes.count, "Header Len states \(length) octets, \(bytes.count) received")
        }
        guard bytes.count == length else {
            throw MobilityHeaderError(.trailingBytes, at: length, "\(bytes.count - length) octets after the \(length) Header Len states")
        }
        let type = bytes.u8(2)
        switch type {
        case ProxyBindingUpdate.mobilityHeaderType, ProxyBindingAcknowledgement.mobilityHeaderType,
             Heartbeat.mobilityHeaderType, MobilityMessage.bindingRevocationType:
            break
        default:
            throw MobilityHeaderError(.unknownMessageType, at: 2, "MH Type \(type) is not in this profile")
        }
        guard length >= fixedLength else {
            throw MobilityHeaderError(.headerLengthTooShort, at: 1, "Header Len \(bytes.u8(1)) leaves no room for the fixed fields of MH Type \(type)")
        }
        if type == MobilityMessage.bindingRevocationType {
            let revocationType = bytes.u8(6)
            guard revocationType == BindingRevocationIndication.revocationType
                    || revocationType == BindingRevocationAcknowledgement.revocationType else {
                throw MobilityHeaderError(.unknownMessageType, at: 6, "B.R. Type \(revocationType) is neither 1 (indication) nor 2 (acknowledgement)")
            }
        }
        var decoder = MobilityOptionDecoder(bytes: bytes, start: fixedLength, end: length)
        let options = try decoder.decodeAll()
        let message: MobilityMessage
        switch type {
        case ProxyBindingUpdate.mobilityHeaderType:
            // RFC 6275 §6.1.7: Sequence #, flags, Lifetime.
            message = .proxyBindingUpdate(ProxyBindingUpdate(
                sequenceNumber: bytes.u16(6), flags: .init(rawValue: bytes.u16(8)),
                lifetimeUnits: bytes.u16(10), options: options))
        case ProxyBindingAcknowledgement.mobilityHeaderType:
            // RFC 6275 §6.1.8: Status, flags, Sequence #, Lifetime.
            message = .proxyBindingAcknowledgement(ProxyBindingAcknowledgement(
                status: .init(rawValue: bytes.u8(6)), flags: .init(rawValue: bytes.u8(7)),
                sequenceNumber: bytes.u16(8), lifetimeUnits: bytes.u16(10), options: options))
        case Heartbeat.mobilityHeaderType:
            // RFC 5847 §3.3: Reserved with U and R, Sequence Number (32 bits).
            message = .heartbeat(Heartbeat(
                flags: Heartbeat.Flags(rawValue: bytes.u16(6)).intersection([.unsolicited, .response]),
                sequenceNumber: bytes.u32(8), options: options))
        default:
            // RFC 5846 §5.1-5.2: B.R. Type, Trigger or Status, Sequence #, flags.
            let flags = BindingRevocationFlags(rawValue: bytes.u16(10)).intersection([.proxyBinding, .ipv4HomeAddressOnly, .global])
            if bytes.u8(6) == BindingRevocationIndication.revocationType {
                message = .bindingRevocationIndication(BindingRevocationIndication(
                    trigger: .init(rawValue: bytes.u8(7)), sequenceNumber: bytes.u16(8), flags: flags, options: options))
            } else {
                message = .bindingRevocationAcknowledgement(BindingRevocationAcknowledgement(
                    status: .init(rawValue: bytes.u8(7)), sequenceNumber: bytes.u16(8), flags: flags, options: options))
            }
        }
        return MobilityHeader(message: message, authentication: decoder.authentication,
                              authenticatedLength: decoder.authenticatedLength)
    }
}
