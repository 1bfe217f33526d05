import NIOCore

extension MobilityHeader {
    /// Writes `message` as one Mobility Header at the writer index of `buffer`, signed
    /// when `signer` is given, and returns the number of octets written.
    ///
    /// Options go in the order given, each preceded by the Pad1/PadN its alignment needs
    /// (RFC 6275 §6.2); the authentication option goes last and ends the message on an
    /// 8-octet boundary; otherwise PadN fills to one. The checksum is 0 (RFC 5844 §4.1.3.2).
    /// On error nothing is left written.
    @discardableResult
    public static func encode(_ message: MobilityMessage, signer: MessageSigner? = nil,
                              into buffer: inout ByteBuffer) throws(MobilityHeaderError) -> Int {
        let start = buffer.writerIndex
        do {
            return try write(message, signer: signer, into: &buffer, start: start)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Encodes `message` into a new buffer.
    public static func encode(_ message: MobilityMessage, signer: MessageSigner? = nil,
                              allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(MobilityHeaderError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        try encode(message, signer: signer, into: &buffer)
        return buffer
    }

    private static func write(_ message: MobilityMessage, signer: MessageSigner?,
                              into buffer: inout ByteBuffer, start: Int) throws(MobilityHeaderError) -> Int {
        // RFC 6275 §6.1.1: Payload Proto, Header Len (set below), MH Type, Reserved, Checksum.
        buffer.writeInteger(payloadProto)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(message.mobilityHeaderType)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(0))
        switch message {
        case .proxyBindingUpdate(let m):
            buffer.writeInteger(m.sequenceNumber)
            buffer.writeInteger(m.flags.rawValue)
            buffer.writeInteger(m.lifetimeUnits)
        case .proxyBindingAcknowledgement(let m):
            buffer.writeInteger(m.status.rawValue)
            buffer.writeInteger(m.flags.rawValue)
            buffer.writeInteger(m.sequenceNumber)
            buffer.writeInteger(m.lifetimeUnits)
        case .heartbeat(let m):
            buffer.writeInteger(m.flags.rawValue & (Heartbeat.Flags.unsolicited.rawValue | Heartbeat.Flags.response.rawValue))
            buffer.writeInteger(m.sequenceNumber)
        case .bindingRevocationIndication(let m):
            buffer.writeInteger(BindingRevocationIndication.revocationType)
            buffer.writeInteger(m.trigger.rawValue)
            buffer.writeInteger(m.sequenceNumber)
            buffer.writeInteger(m.flags.rawValue)
        case .bindingRevocationAcknowledgement(let m):
            buffer.writeInteger(BindingRevocationAcknowledgement.revocationType)
            buffer.writeInteger(m.status.rawValue)
            buffer.writeInteger(m.sequenceNumber)
            buffer.writeInteger(m.flags.rawValue)
        }
        let writer = MobilityOptionWriter(start: start)
        for option in message.options {
            try writer.write(option, into: &buffer)
        }
        guard let signer else {
            writer.pad(toMultipleOf: 8, into: &buffer)
            try setHeaderLength(in: &buffer, start: start)
            return buffer.writerIndex - start
        }
        // RFC 4285 §5: Type, Length, Subtype, SPI, Authenticator; alignment 4n+1. Pad so
        // that the option both starts at 4n+1 and ends the message on an 8-octet boundary.
        let association = signer.association
        let optionLength = 7 + association.algorithm.authenticatorLength
        writer.padForAuthentication(optionLength: optionLength, into: &buffer)
        let total = buffer.writerIndex - start + optionLength
        let trailingPad = (8 - total % 8) % 8
        guard total + trailingPad <= maximumLength else {
            throw MobilityHeaderError(.messageTooLong, at: total, "\(total + trailingPad) octets exceed the 2048 that Header Len can state")
        }
        buffer.setInteger(UInt8((total + trailingPad) / 8 - 1), at: start + 1)
        buffer.writeInteger(MobilityOptionType.authentication)
        buffer.writeInteger(UInt8(optionLength - 2))
        buffer.writeInteger(MobilityMessageAuthentication.homeAgentSubtype)
        buffer.writeInteger(association.spi)
        let covered = buffer.writerIndex - start
        let authenticator = buffer.withUnsafeReadableBytes { raw in
            association.authenticator(scope: signer.scope, coveredHeader: UnsafeRawBufferPointer(
                rebasing: raw[(start - buffer.readerIndex)..<(start - buffer.readerIndex + covered)]))
        }
        buffer.writeBytes(authenticator)
        let trailing = MobilityOptionWriter(start: start)
        trailing.pad(toMultipleOf: 8, into: &buffer)
        return buffer.writerIndex - start
    }

    private static func setHeaderLength(in buffer: inout ByteBuffer, start: Int) throws(MobilityHeaderError) {
        let total = buffer.writerIndex - start
        guard total <= maximumLength else {
            throw MobilityHeaderError(.messageTooLong, at: total, "\(total) octets exceed the 2048 that Header Len can state")
        }
        buffer.setInteger(UInt8(total / 8 - 1), at: start + 1)
    }
}
