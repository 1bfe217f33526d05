import GLMWire
import NIOCore
import Testing

@Suite("Signaling round trips")
struct RoundTripTests {
    @Test("every message and option decodes to what was encoded", arguments: SampleMessages.all)
    func roundTrip(_ message: MobilityMessage) throws {
        let bytes = try SampleMessages.encode(message)
        let decoded = try MobilityHeader(decoding: bytes)
        #expect(decoded.message == message)
        #expect(decoded.authentication == nil)
        #expect(bytes.count % 8 == 0)
        #expect(Int(bytes[1]) == bytes.count / 8 - 1, "Header Len counts 8-octet units after the first")
        #expect(bytes[0] == 59 && bytes[3] == 0 && bytes[4] == 0 && bytes[5] == 0)
    }

    @Test("signed messages round-trip and carry the authentication option last", arguments: SampleMessages.all)
    func signedRoundTrip(_ message: MobilityMessage) throws {
        for association in [SampleMessages.sha256, SampleMessages.sha1] {
            let signer = MessageSigner(association: association, scope: SampleMessages.siteSigner.scope)
            let bytes = try SampleMessages.encode(message, signer: signer)
            let decoded = try MobilityHeader(decoding: bytes)
            #expect(decoded.message == message)
            let auth = try #require(decoded.authentication)
            #expect(auth.spi == association.spi)
            #expect(auth.subtype == 1)
            #expect(auth.authenticator.count == association.algorithm.authenticatorLength)
            // The option ends the message exactly: no padding after it.
            #expect(decoded.authenticatedLength! + auth.authenticator.count == bytes.count)
            #expect(bytes.count % 8 == 0)
        }
    }

    @Test("every option's Type octet meets its alignment", arguments: SampleMessages.all)
    func alignment(_ message: MobilityMessage) throws {
        for signer in [nil, SampleMessages.siteSigner] {
            let bytes = try SampleMessages.encode(message, signer: signer)
            var position = 12
            var seenTypes: [UInt8] = []
            while position < bytes.count {
                let type = bytes[position]
                if type == 0 { position += 1; continue }
                if type != 1 {
                    let rule = OptionAlignment.forType(type)
                    #expect(rule.accepts(position), "option \(type) at \(position) breaks \(rule.multiple)n+\(rule.offset)")
                    seenTypes.append(type)
                } else {
                    #expect(bytes[(position + 2)..<(position + 2 + Int(bytes[position + 1]))].allSatisfy { $0 == 0 })
                }
                position += 2 + Int(bytes[position + 1])
            }
            #expect(position == bytes.count)
            #expect(seenTypes == message.options.map(\.type) + (signer == nil ? [] : [9]))
        }
    }

    @Test("the alignment rules are those of the RFCs")
    func alignmentRules() {
        let expected: [UInt8: (Int, Int)] = [
            8: (1, 0), 9: (4, 1), 23: (1, 0), 24: (1, 0), 25: (8, 2), 27: (8, 2), 28: (4, 2),
            33: (4, 0), 36: (4, 0), 37: (4, 0), 38: (4, 0),
        ]
        for (type, (multiple, offset)) in expected {
            #expect(OptionAlignment.forType(type) == OptionAlignment(multiple: multiple, offset: offset), "type \(type)")
        }
        let rule = OptionAlignment(multiple: 8, offset: 2)
        #expect((0..<32).map { rule.padding(at: $0) }.enumerated().allSatisfy { rule.accepts($0.offset + $0.element) })
    }

    @Test("encoding appends at the writer index and decoding reads the readable bytes")
    func bufferPositions() throws {
        var buffer = ByteBuffer(bytes: [0xaa, 0xbb])
        let written = try MobilityHeader.encode(.heartbeat(SampleMessages.heartbeat), into: &buffer)
        #expect(buffer.readableBytes == 2 + written)
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try MobilityHeader(decoding: buffer).message == .heartbeat(SampleMessages.heartbeat))
    }

    @Test("heartbeat and revocation flags keep only their defined bits")
    func definedFlagBits() throws {
        var bytes = try SampleMessages.encode(.heartbeat(SampleMessages.heartbeat))
        bytes[6] = 0xff; bytes[7] = 0xff
        guard case .heartbeat(let heartbeat) = try MobilityHeader(decoding: bytes).message else {
            Issue.record("not a heartbeat"); return
        }
        #expect(heartbeat.flags == [.unsolicited, .response])
    }
}
