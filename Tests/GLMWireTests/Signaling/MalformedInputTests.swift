import GLMWire
import NIOCore
import Testing

@Suite("Malformed signaling is refused with a distinct error")
struct MalformedInputTests {
    func code(_ bytes: [UInt8]) -> MobilityHeaderError.Code? {
        do {
            _ = try MobilityHeader(decoding: bytes)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("every truncated prefix of every valid message is rejected as truncated", arguments: SampleMessages.all)
    func truncatedPrefixes(_ message: MobilityMessage) throws {
        for signer in [nil, SampleMessages.siteSigner] {
            let bytes = try SampleMessages.encode(message, signer: signer)
            for length in 0..<bytes.count {
                #expect(code(Array(bytes.prefix(length))) == .truncated, "prefix of \(length) octets")
            }
        }
    }

    @Test("trailing octets after the stated length")
    func trailing() throws {
        let bytes = try SampleMessages.encode(.heartbeat(SampleMessages.heartbeat))
        #expect(code(bytes + [0]) == .trailingBytes)
        #expect(code(bytes + [UInt8](repeating: 0, count: 8)) == .trailingBytes)
    }

    @Test("Header Len too short for the fixed fields")
    func headerLengthTooShort() {
        #expect(code([59, 0, 5, 0, 0, 0, 0, 1]) == .headerLengthTooShort)
        #expect(code([59, 0, 6, 0, 0, 0, 0, 1]) == .headerLengthTooShort)
    }

    @Test("Payload Proto other than 59")
    func payloadProto() throws {
        var bytes = try SampleMessages.encode(.heartbeat(SampleMessages.heartbeat))
        bytes[0] = 6
        #expect(code(bytes) == .invalidPayloadProto)
    }

    @Test("unknown MH Type and unknown B.R. Type")
    func unknownTypes() throws {
        var bytes = try SampleMessages.encode(.heartbeat(SampleMessages.heartbeat))
        bytes[2] = 7
        #expect(code(bytes) == .unknownMessageType)
        var revocation = try SampleMessages.encode(.bindingRevocationIndication(SampleMessages.revocationIndication))
        revocation[6] = 3
        #expect(code(revocation) == .unknownMessageType)
        revocation[6] = 0
        #expect(code(revocation) == .unknownMessageType)
    }

    /// A 16-octet heartbeat whose four option octets are `options`.
    func heartbeat(options: [UInt8]) -> [UInt8] {
        precondition(options.count == 4 || options.count == 12 || options.count == 20)
        return [59, UInt8((12 + options.count) / 8 - 1), 13, 0, 0, 0, 0, 0, 0, 0, 0, 1] + options
    }

    @Test("an option overrunning the message")
    func overrun() {
        #expect(code(heartbeat(options: [28, 4, 0, 0])) == .optionOverrunsMessage)
        #expect(code(heartbeat(options: [1, 3, 0, 0])) == .optionOverrunsMessage, "PadN too")
        #expect(code(heartbeat(options: [0, 0, 0, 28])) == .optionOverrunsMessage, "no length octet")
        #expect(code(heartbeat(options: [0, 0, 1, 0])) == nil, "PadN of length 0 at the very end fits")
    }

    @Test("known options with lengths their definitions forbid")
    func invalidLengths() {
        let bad: [[UInt8]] = [
            [0, 0, 0, 0, 28, 3, 0, 0, 0, 0, 0, 0],            // Restart Counter of 3
            [0, 0, 0, 0, 0, 0, 27, 4, 0, 0, 0, 0],            // Timestamp of 4
            [33, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],            // GRE key of 4
            [36, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],            // IPv4 HoA Request of 4
            [37, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],            // IPv4 HoA Reply of 2
            [38, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],            // Default Router of 8
            [8, 1, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0],             // MN-ID without identifier
            [8, 6, 5, 1, 2, 3, 4, 5, 1, 0, 0, 0],             // EUI-48 of 5 octets
            [23, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],            // HI of 1
            [24, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],            // ATT of 3
            [25, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],            // LL-ID without identifier
            [9, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],             // auth without room for the SPI
        ]
        for options in bad {
            #expect(code(heartbeat(options: options)) == .invalidOptionLength, "\(options)")
        }
    }

    @Test("values out of range")
    func outOfRange() {
        #expect(code(heartbeat(options: [36, 6, 33 << 2, 0, 10, 0, 0, 1, 0, 0, 0, 0])) == .valueOutOfRange)
        #expect(code(heartbeat(options: [36, 6, 32 << 2, 0, 10, 0, 0, 1, 0, 0, 0, 0])) == nil)
        #expect(code(heartbeat(options: [37, 6, 0, 33 << 2, 10, 0, 0, 1, 0, 0, 0, 0])) == .valueOutOfRange)
        #expect(code(heartbeat(options: [8, 3, 1, 0xc3, 0x28, 0, 0, 0, 0, 0, 0, 0])) == .valueOutOfRange, "invalid UTF-8 NAI")
    }

    @Test("an option after the authentication option")
    func misplacedAuthentication() throws {
        let auth: [UInt8] = [0, 9, 5, 1, 0, 0, 1, 0]
        #expect(code(heartbeat(options: auth + [200, 2, 0, 0])) == .misplacedAuthentication)
        #expect(code(heartbeat(options: auth + [9, 2, 1, 0])) == .misplacedAuthentication, "a second authentication option")
        #expect(code(heartbeat(options: auth + [1, 2, 0, 0])) == nil, "padding may follow")
    }

    @Test("a single option repeated")
    func duplicate() {
        #expect(code(heartbeat(options: [0, 0, 28, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 28, 4, 0, 0, 0, 2])) == .duplicateOption)
        #expect(code(heartbeat(options: [200, 0, 200, 0])) == nil, "unknown options may repeat")
    }

    @Test("unknown options are kept with their data")
    func unknownKept() throws {
        let decoded = try MobilityHeader(decoding: heartbeat(options: [200, 2, 7, 8]))
        #expect(decoded.message.options.unknownOptions == [UnknownMobilityOption(type: 200, data: [7, 8])])
    }

    @Test("the errors are distinct and say where and why")
    func distinct() {
        let codes: [MobilityHeaderError.Code] = [
            .truncated, .trailingBytes, .headerLengthTooShort, .invalidPayloadProto, .unknownMessageType,
            .optionOverrunsMessage, .invalidOptionLength, .duplicateOption, .misplacedAuthentication,
            .valueOutOfRange, .messageTooLong,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(Set(codes.map(\.description)).count == codes.count)
        do {
            _ = try MobilityHeader(decoding: [59, 1, 13])
        } catch {
            #expect(error.offset == 3)
            #expect(error.description.contains("truncated"))
        }
    }
}
