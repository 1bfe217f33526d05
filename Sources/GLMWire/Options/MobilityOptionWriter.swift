import NIOCore

/// Writes options after a Mobility Header's fixed fields, inserting Pad1 or PadN so that
/// each option's Type octet meets its alignment (RFC 6275 §6.2).
struct MobilityOptionWriter {
    /// Writer index of the Mobility Header's first octet: alignment counts from there.
    let start: Int

    init(start: Int) { self.start = start }

    private func position(_ buffer: ByteBuffer) -> Int { buffer.writerIndex - start }

    /// Writes `count` octets of padding: one Pad1, or one PadN (RFC 6275 §6.2.2).
    func writePadding(_ count: Int, into buffer: inout ByteBuffer) {
        var remaining = count
        while remaining > 0 {
            if remaining == 1 {
                buffer.writeInteger(MobilityOptionType.pad1)
                remaining = 0
            } else {
                let chunk = min(remaining, 257)
                buffer.writeInteger(MobilityOptionType.padN)
                buffer.writeInteger(UInt8(chunk - 2))
                buffer.writeRepeatingByte(0, count: chunk - 2)
                remaining -= chunk
            }
        }
    }

    func pad(toMultipleOf multiple: Int, into buffer: inout ByteBuffer) {
        writePadding((multiple - position(buffer) % multiple) % multiple, into: &buffer)
    }

    /// Pads so that an authentication option of `optionLength` octets starts at 4n+1 and,
    /// where the length allows, ends on an 8-octet boundary.
    func padForAuthentication(optionLength: Int, into buffer: inout ByteBuffer) {
        let here = position(buffer)
        let alignment = OptionAlignment.forType(MobilityOptionType.authentication)
        var candidate = here + alignment.padding(at: here)
        for _ in 0..<2 where (candidate + optionLength) % 8 != 0 {
            candidate += alignment.multiple
        }
        if (candidate + optionLength) % 8 != 0 { candidate = here + alignment.padding(at: here) }
        writePadding(candidate - here, into: &buffer)
    }

    private func align(_ type: UInt8, into buffer: inout ByteBuffer) {
        writePadding(OptionAlignment.forType(type).padding(at: position(buffer)), into: &buffer)
    }

    private func outOfRange(_ buffer: ByteBuffer, _ reason: String) -> MobilityHeaderError {
        MobilityHeaderError(.valueOutOfRange, at: position(buffer), reason)
    }

    private func checkPrefixLength(_ value: UInt8, _ buffer: ByteBuffer) throws(MobilityHeaderError) {
        guard value <= 32 else { throw outOfRange(buffer, "IPv4 prefix length \(value) is over 32") }
    }

    func write(_ option: MobilityOption, into buffer: inout ByteBuffer) throws(MobilityHeaderError) {
        let type = option.type
        switch option {
        case .mobileNodeIdentifier(let identifier):
            let bytes = identifier.identifierBytes
            guard !bytes.isEmpty, bytes.count <= MobileNodeIdentifier.maximumIdentifierLength else {
                throw outOfRange(buffer, "Mobile Node Identifier of \(bytes.count) octets; 1 to 254 fit")
            }
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(1 + bytes.count))
            buffer.writeInteger(identifier.subtype)
            buffer.writeBytes(bytes)
        case .handoffIndicator(let value):
            align(type, into: &buffer)
            buffer.writeBytes([type, 2, 0, value.rawValue])
        case .accessTechnologyType(let value):
            align(type, into: &buffer)
            buffer.writeBytes([type, 2, 0, value.rawValue])
        case .linkLayerIdentifier(let identifier):
            guard !identifier.isEmpty, identifier.count <= 253 else {
                throw outOfRange(buffer, "Link-layer Identifier of \(identifier.count) octets; 1 to 253 fit")
            }
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(2 + identifier.count))
            buffer.writeInteger(UInt16(0))
            buffer.writeBytes(identifier)
        case .timestamp(let timestamp):
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(8))
            buffer.writeInteger(timestamp.rawValue)
        case .restartCounter(let counter):
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(4))
            buffer.writeInteger(counter)
        case .greKey(let key):
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(key == nil ? 2 : 6))
            buffer.writeInteger(UInt16(0))
            if let key { buffer.writeInteger(key) }
        case .ipv4HomeAddressRequest(let request):
            try checkPrefixLength(request.prefixLength, buffer)
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(6))
            buffer.writeInteger(UInt16(request.prefixLength) << 10)
            buffer.writeInteger(request.address.rawValue)
        case .ipv4HomeAddressReply(let reply):
            try checkPrefixLength(reply.prefixLength, buffer)
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(6))
            buffer.writeInteger(reply.status.rawValue)
            buffer.writeInteger(reply.prefixLength << 2)
            buffer.writeInteger(reply.address.rawValue)
        case .ipv4DefaultRouterAddress(let address):
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(6))
            buffer.writeInteger(UInt16(0))
            buffer.writeInteger(address.rawValue)
        case .vendorSpecific(let option):
            guard option.data.count <= VendorSpecificOption.maximumDataLength else {
                throw outOfRange(buffer, "Vendor Specific data of \(option.data.count) octets; at most \(VendorSpecificOption.maximumDataLength) fit")
            }
            align(type, into: &buffer)
            buffer.writeInteger(type)
            buffer.writeInteger(UInt8(VendorSpecificOption.fixedLength + option.data.count))
            buffer.writeInteger(option.vendorID)
            buffer.writeInteger(option.subtype)
            buffer.writeBytes(option.data)
        case .unknown(let unknown):
            guard unknown.type != MobilityOptionType.pad1, unknown.type != MobilityOptionType.padN,
                  unknown.type != MobilityOptionType.authentication else {
                throw outOfRange(buffer, "option type \(unknown.type) is written by the encoder itself")
            }
            guard unknown.data.count <= 255 else {
                throw outOfRange(buffer, "option data of \(unknown.data.count) octets; at most 255 fit")
            }
            buffer.writeInteger(unknown.type)
            buffer.writeInteger(UInt8(unknown.data.count))
            buffer.writeBytes(unknown.data)
        }
    }
}
