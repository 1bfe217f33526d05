/// Walks the options of one Mobility Header, from the end of the fixed fields to the
/// length Header Len states, checking every length before it is used.
struct MobilityOptionDecoder {
    private let bytes: WireBytes
    private var position: Int
    private let end: Int
    /// Option types seen so far, as a 256-bit set, to refuse repeats of single options.
    private var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    private(set) var authentication: MobilityMessageAuthentication?
    private(set) var authenticatedLength: Int?

    init(bytes: WireBytes, start: Int, end: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
    }

    mutating func decodeAll() throws(MobilityHeaderError) -> [MobilityOption] {
        var options: [MobilityOption] = []
        options.reserveCapacity(8)
        while position < end {
            let start = position
            let type = bytes.u8(start)
            if type == MobilityOptionType.pad1 {
                position += 1
                continue
            }
            // RFC 6275 §6.2.1: Type, Length (octets after the length byte), data.
            guard start + 2 <= end else {
                throw MobilityHeaderError(.optionOverrunsMessage, at: start, "option type \(type) has no length octet before the message ends")
            }
            let length = Int(bytes.u8(start + 1))
            let dataStart = start + 2
            guard dataStart + length <= end else {
                throw MobilityHeaderError(.optionOverrunsMessage, at: start, "option type \(type) states \(length) octets, \(end - dataStart) remain")
            }
            position = dataStart + length
            if type == MobilityOptionType.padN { continue }
            // RFC 4285 §5: the authentication option is the last option.
            guard authentication == nil else {
                throw MobilityHeaderError(.misplacedAuthentication, at: start, "option type \(type) follows the authentication option")
            }
            if type == MobilityOptionType.authentication {
                try decodeAuthentication(at: start, length: length)
                continue
            }
            let option = try decodeOption(type: type, at: dataStart, length: length)
            // Unknown options, and Vendor Specific ones (one per vendor and sub-type, RFC
            // 5094 §3), may repeat; every other option appears at most once.
            switch option {
            case .unknown, .vendorSpecific: break
            default: try markSeen(type, at: start)
            }
            options.append(option)
        }
        return options
    }

    private mutating func markSeen(_ type: UInt8, at offset: Int) throws(MobilityHeaderError) {
        let bit = UInt64(1) << UInt64(type & 63)
        let alreadySeen: Bool
        switch type >> 6 {
        case 0: alreadySeen = seen.0 & bit != 0; seen.0 |= bit
        case 1: alreadySeen = seen.1 & bit != 0; seen.1 |= bit
        case 2: alreadySeen = seen.2 & bit != 0; seen.2 |= bit
        default: alreadySeen = seen.3 & bit != 0; seen.3 |= bit
        }
        guard !alreadySeen else {
            throw MobilityHeaderError(.duplicateOption, at: offset, "option type \(type) appears more than once")
        }
    }

    private mutating func decodeAuthentication(at start: Int, length: Int) throws(MobilityHeaderError) {
        // RFC 4285 §5: Subtype (1), SPI (4), Authentication Data (the rest).
        guard length >= 5 else {
            throw MobilityHeaderError(.invalidOptionLength, at: start, "authentication option length \(length), at least 5 needed for subtype and SPI")
        }
        let data = start + 2
        authentication = MobilityMessageAuthentication(
            subtype: bytes.u8(data), spi: bytes.u32(data + 1),
            authenticator: bytes.bytes((data + 5)..<(data + length)))
        authenticatedLength = data + 5
    }

    private func requireLength(_ type: UInt8, _ length: Int, is expected: Int, or alternative: Int? = nil,
                               at data: Int) throws(MobilityHeaderError) {
        guard length == expected || length == alternative else {
            let allowed = alternative.map { "\(expected) or \($0)" } ?? "\(expected)"
            throw MobilityHeaderError(.invalidOptionLength, at: data - 2, "option type \(type) has length \(length), expected \(allowed)")
        }
    }

    private func prefixLength(_ field: UInt8, at offset: Int) throws(MobilityHeaderError) -> UInt8 {
        // RFC 5844 §3.3.1-3.3.2: a 6-bit prefix length; an IPv4 prefix is at most 32 bits.
        let value = field >> 2
        guard value <= 32 else {
            throw MobilityHeaderError(.valueOutOfRange, at: offset, "IPv4 prefix length \(value) is over 32")
        }
        return value
    }

    private func decodeOption(type: UInt8, at data: Int, length: Int) throws(MobilityHeaderError) -> MobilityOption {
        switch type {
        case MobilityOptionType.mobileNodeIdentifier:
            // RFC 4283 §3: Subtype, Identifier (at least one octet).
            guard length >= 2 else {
                throw MobilityHeaderError(.invalidOptionLength, at: data - 2, "Mobile Node Identifier length \(length), at least 2 needed")
            }
            let subtype = bytes.u8(data)
            let identifier = (data + 1)..<(data + length)
            switch subtype {
            case MobileNodeIdentifier.eui48Subtype:
                try requireLength(type, length, is: 7, at: data)
                return .mobileNodeIdentifier(.eui48(MACAddress(rawValue: UInt64(bytes.u16(data + 1)) << 32 | UInt64(bytes.u32(data + 3)))!))
            case MobileNodeIdentifier.naiSubtype:
                guard let name = String(validating: bytes.raw[identifier], as: UTF8.self) else {
                    throw MobilityHeaderError(.valueOutOfRange, at: data + 1, "NAI identifier is not UTF-8")
                }
                return .mobileNodeIdentifier(.nai(name))
            default:
                return .mobileNodeIdentifier(.other(subtype: subtype, identifier: bytes.bytes(identifier)))
            }
        case MobilityOptionType.handoffIndicator:
            // RFC 5213 §8.4: Reserved, HI.
            try requireLength(type, length, is: 2, at: data)
            return .handoffIndicator(HandoffIndicator(rawValue: bytes.u8(data + 1)))
        case MobilityOptionType.accessTechnologyType:
            // RFC 5213 §8.5: Reserved, ATT.
            try requireLength(type, length, is: 2, at: data)
            return .accessTechnologyType(AccessTechnologyType(rawValue: bytes.u8(data + 1)))
        case MobilityOptionType.linkLayerIdentifier:
            // RFC 5213 §8.6: Reserved (16 bits), Link-layer Identifier.
            guard length >= 3 else {
                throw MobilityHeaderError(.invalidOptionLength, at: data - 2, "Link-layer Identifier length \(length), at least 3 needed")
            }
            return .linkLayerIdentifier(bytes.bytes((data + 2)..<(data + length)))
        case MobilityOptionType.timestamp:
            // RFC 5213 §8.8: 64-bit timestamp.
            try requireLength(type, length, is: 8, at: data)
            return .timestamp(PMIPTimestamp(rawValue: bytes.u64(data)))
        case MobilityOptionType.restartCounter:
            // RFC 5847 §3.4: 32-bit counter.
            try requireLength(type, length, is: 4, at: data)
            return .restartCounter(bytes.u32(data))
        case MobilityOptionType.greKey:
            // RFC 5845 §6.1: Reserved (16 bits), then the key when length is 6.
            try requireLength(type, length, is: 2, or: 6, at: data)
            return .greKey(length == 6 ? bytes.u32(data + 2) : nil)
        case MobilityOptionType.ipv4HomeAddressRequest:
            // RFC 5844 §3.3.1: Prefix-len (6 bits) and Reserved (10 bits), IPv4 home address.
            try requireLength(type, length, is: 6, at: data)
            return .ipv4HomeAddressRequest(IPv4HomeAddressRequest(
                prefixLength: try prefixLength(bytes.u8(data), at: data), address: bytes.ipv4(data + 2)))
        case MobilityOptionType.ipv4HomeAddressReply:
            // RFC 5844 §3.3.2: Status, Prefix-len (6 bits) and Reserved (2 bits), IPv4 home address.
            try requireLength(type, length, is: 6, at: data)
            return .ipv4HomeAddressReply(IPv4HomeAddressReply(
                status: .init(rawValue: bytes.u8(data)),
                prefixLength: try prefixLength(bytes.u8(data + 1), at: data + 1), address: bytes.ipv4(data + 2)))
        case MobilityOptionType.ipv4DefaultRouterAddress:
            // RFC 5844 §3.3.3: Reserved (16 bits), IPv4 default router address.
            try requireLength(type, length, is: 6, at: data)
            return .ipv4DefaultRouterAddress(bytes.ipv4(data + 2))
        case MobilityOptionType.vendorSpecific:
            // RFC 5094 §3: Vendor ID (32 bits), Sub-Type, Data.
            guard length >= VendorSpecificOption.fixedLength else {
                throw MobilityHeaderError(.invalidOptionLength, at: data - 2,
                                          "Vendor Specific option length \(length), at least \(VendorSpecificOption.fixedLength) needed")
            }
            return .vendorSpecific(VendorSpecificOption(vendorID: bytes.u32(data), subtype: bytes.u8(data + 4),
                                                        data: bytes.bytes((data + 5)..<(data + length))))
        default:
            return .unknown(UnknownMobilityOption(type: type, data: bytes.bytes(data..<(data + length))))
        }
    }
}
