import NIOCore

/// The data-tunnel framing between a home agent and a site: an IPv4 packet carried as
/// the payload of UDP port 5437 (RFC 5844 §4.1.3, IPv4-UDP mode), either bare or behind
/// the 4-octet TLV header (the T flag's format), which may carry a GRE header with a key
/// (RFC 5845) to keep tenants with overlapping addresses apart.
///
/// The two formats tell themselves apart by their first nibble: 4 for a bare IPv4
/// packet, 0 for a TLV header, so a receiver needs no per-peer state to decode.
public struct TunnelFrame: Hashable, Sendable {
    /// UDP port of tunnelled data (IANA pmip6-data).
    public static let port: UInt16 = 5437
    /// TLV Next Header values: IPv4 and GRE.
    public static let nextHeaderIPv4: UInt8 = 4
    public static let nextHeaderGRE: UInt8 = 47
    /// GRE flag bits (RFC 2784 §2.1, RFC 2890 §2): checksum, key, sequence present.
    static let greChecksumPresent: UInt16 = 0x8000
    static let greKeyPresent: UInt16 = 0x2000
    static let greSequencePresent: UInt16 = 0x1000
    static let etherTypeIPv4: UInt16 = 0x0800

    /// How the inner packet is framed.
    public enum Format: Hashable, Sendable {
        /// The inner IPv4 packet is the whole UDP payload.
        case bare
        /// TLV header, Next Header 4.
        case tlv
        /// TLV header, Next Header 47, then GRE (with the key, when there is one).
        case tlvGRE(key: UInt32?)
    }

    public var format: Format
    /// The inner IPv4 packet, a slice of the received buffer (no copy).
    public var packet: ByteBuffer

    public init(format: Format, packet: ByteBuffer) {
        self.format = format
        self.packet = packet
    }

    /// The GRE key the frame carried, if any.
    public var greKey: UInt32? {
        if case .tlvGRE(let key) = format { key } else { nil }
    }

    /// Octets the framing adds in front of the inner packet.
    public static func overhead(_ format: Format) -> Int {
        switch format {
        case .bare: 0
        case .tlv: 4
        case .tlvGRE(let key): 4 + 4 + (key == nil ? 0 : 4)
        }
    }

    /// Writes the framing for `packet` and then the packet itself.
    public static func encode(_ packet: ByteBuffer, format: Format, into buffer: inout ByteBuffer) throws(TunnelFrameError) {
        try checkInner(packet)
        switch format {
        case .bare:
            break
        case .tlv, .tlvGRE:
            let payloadLength = packet.readableBytes + overhead(format) - 4
            guard payloadLength <= Int(UInt16.max) else {
                throw TunnelFrameError(.packetTooLong, "\(payloadLength) octets do not fit the 16-bit TLV Length")
            }
            // TLV header: Type 0 and Reserved (one octet), Next Header, Length of what follows.
            buffer.writeInteger(UInt8(0))
            if case .tlvGRE(let key) = format {
                buffer.writeInteger(nextHeaderGRE)
                buffer.writeInteger(UInt16(payloadLength))
                buffer.writeInteger(key == nil ? UInt16(0) : greKeyPresent)
                buffer.writeInteger(etherTypeIPv4)
                if let key { buffer.writeInteger(key) }
            } else {
                buffer.writeInteger(nextHeaderIPv4)
                buffer.writeInteger(UInt16(payloadLength))
            }
        }
        var copy = packet
        buffer.writeBuffer(&copy)
    }

    /// Decodes a UDP 5437 payload.
    public init(decoding payload: ByteBuffer) throws(TunnelFrameError) {
        guard let first = payload.getInteger(at: payload.readerIndex, as: UInt8.self) else {
            throw TunnelFrameError(.truncated, "empty payload")
        }
        if first >> 4 == 4 {
            try Self.checkInner(payload)
            self.init(format: .bare, packet: payload)
            return
        }
        guard first >> 4 == 0 else {
            throw TunnelFrameError(.unsupportedHeaderType, "first nibble \(first >> 4) is neither an IPv4 packet (4) nor a TLV header (0)")
        }
        let start = payload.readerIndex
        guard payload.readableBytes >= 4,
              let nextHeader = payload.getInteger(at: start + 1, as: UInt8.self),
              let length = payload.getInteger(at: start + 2, as: UInt16.self) else {
            throw TunnelFrameError(.truncated, "\(payload.readableBytes) octets, the TLV header needs 4")
        }
        guard Int(length) == payload.readableBytes - 4 else {
            throw TunnelFrameError(.lengthMismatch, "TLV Length \(length), \(payload.readableBytes - 4) octets follow")
        }
        switch nextHeader {
        case Self.nextHeaderIPv4:
            let inner = payload.getSlice(at: start + 4, length: Int(length))!
            try Self.checkInner(inner)
            self.init(format: .tlv, packet: inner)
        case Self.nextHeaderGRE:
            var offset = start + 4
            guard let flags = payload.getInteger(at: offset, as: UInt16.self),
                  let proto = payload.getInteger(at: offset + 2, as: UInt16.self) else {
                throw TunnelFrameError(.truncated, "GRE header cut short")
            }
            guard flags & 0x0007 == 0, proto == Self.etherTypeIPv4 else {
                throw TunnelFrameError(.unsupportedGRE, "GRE version \(flags & 7), protocol 0x\(String(proto, radix: 16))")
            }
            offset += 4
            if flags & Self.greChecksumPresent != 0 { offset += 4 }
            var key: UInt32? = nil
            if flags & Self.greKeyPresent != 0 {
                guard let value = payload.getInteger(at: offset, as: UInt32.self) else {
                    throw TunnelFrameError(.truncated, "GRE key cut short")
                }
                key = value
                offset += 4
            }
            if flags & Self.greSequencePresent != 0 { offset += 4 }
            guard offset < payload.writerIndex else {
                throw TunnelFrameError(.truncated, "GRE header leaves no inner packet")
            }
            let inner = payload.getSlice(at: offset, length: payload.writerIndex - offset)!
            try Self.checkInner(inner)
            self.init(format: .tlvGRE(key: key), packet: inner)
        default:
            throw TunnelFrameError(.unsupportedNextHeader, "TLV Next Header \(nextHeader) is neither 4 (IPv4) nor 47 (GRE)")
        }
    }

    /// The inner packet must be IPv4 whose Total Length is exactly the octets present.
    private static func checkInner(_ packet: ByteBuffer) throws(TunnelFrameError) {
        let start = packet.readerIndex
        guard packet.readableBytes >= 20,
              let versionIHL = packet.getInteger(at: start, as: UInt8.self),
              let totalLength = packet.getInteger(at: start + 2, as: UInt16.self) else {
            throw TunnelFrameError(.truncated, "\(packet.readableBytes) octets, an IPv4 header needs 20")
        }
        guard versionIHL >> 4 == 4, versionIHL & 0x0f >= 5 else {
            throw TunnelFrameError(.notIPv4, "version \(versionIHL >> 4), IHL \(versionIHL & 0x0f)")
        }
        guard Int(totalLength) == packet.readableBytes, Int(versionIHL & 0x0f) * 4 <= Int(totalLength) else {
            throw TunnelFrameError(.lengthMismatch, "IPv4 Total Length \(totalLength), \(packet.readableBytes) octets present")
        }
    }

    /// The inner packet's IPv4 source address.
    public var innerSource: IPv4Address {
        IPv4Address(rawValue: packet.getInteger(at: packet.readerIndex + 12, as: UInt32.self)!)
    }

    /// The inner packet's IPv4 destination address.
    public var innerDestination: IPv4Address {
        IPv4Address(rawValue: packet.getInteger(at: packet.readerIndex + 16, as: UInt32.self)!)
    }
}
