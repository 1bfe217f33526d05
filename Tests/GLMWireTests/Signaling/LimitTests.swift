import GLMWire
import NIOCore
import Testing

@Suite("Limits, at the limit and one past it")
struct LimitTests {
    func encodeError(_ message: MobilityMessage, signer: MessageSigner? = nil) -> MobilityHeaderError.Code? {
        do {
            _ = try MobilityHeader.encode(message, signer: signer)
            return nil
        } catch {
            return error.code
        }
    }

    /// A heartbeat whose unaligned unknown options fill `total` octets exactly.
    func heartbeat(filling total: Int) -> MobilityMessage {
        var remaining = total - 12
        var options: [MobilityOption] = []
        while remaining > 0 {
            let data = min(remaining - 2, 255)
            options.append(.unknown(UnknownMobilityOption(type: 200, data: [UInt8](repeating: 0xab, count: data))))
            remaining -= data + 2
        }
        return .heartbeat(Heartbeat(sequenceNumber: 1, options: options))
    }

    @Test("the 2048-octet message that Header Len 255 states")
    func messageLength() throws {
        let largest = heartbeat(filling: 2048)
        let bytes = try SampleMessages.encode(largest)
        #expect(bytes.count == 2048)
        #expect(bytes[1] == 255)
        #expect(try MobilityHeader(decoding: bytes).message == largest)
        #expect(encodeError(heartbeat(filling: 2049)) == .messageTooLong)
        #expect(throws: MobilityHeaderError.self) { try MobilityHeader(decoding: bytes + [0]) }
    }

    @Test("a signed message at the limit and one past it")
    func signedLength() throws {
        // 2048 - 23 octets of HMAC-SHA-256-128 option leaves 2025 before it, ending at 4n+1.
        let fits = heartbeat(filling: 2025)
        let bytes = try SampleMessages.encode(fits, signer: SampleMessages.siteSigner)
        #expect(bytes.count == 2048)
        #expect(encodeError(heartbeat(filling: 2026), signer: SampleMessages.siteSigner) == .messageTooLong)
    }

    @Test("Mobile Node Identifier of 254 octets, and 255")
    func identifierLength() throws {
        let longest = MobilityMessage.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .mobileNodeIdentifier(.nai(String(repeating: "a", count: 254)))]))
        #expect(try MobilityHeader(decoding: SampleMessages.encode(longest)).message == longest)
        #expect(encodeError(.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .mobileNodeIdentifier(.nai(String(repeating: "a", count: 255)))]))) == .valueOutOfRange)
        #expect(encodeError(.heartbeat(Heartbeat(sequenceNumber: 1, options: [.mobileNodeIdentifier(.nai(""))]))) == .valueOutOfRange)
    }

    @Test("Link-layer Identifier of 253 octets, and 254")
    func linkLayerIdentifierLength() throws {
        let longest = MobilityMessage.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .linkLayerIdentifier([UInt8](repeating: 1, count: 253))]))
        #expect(try MobilityHeader(decoding: SampleMessages.encode(longest)).message == longest)
        #expect(encodeError(.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .linkLayerIdentifier([UInt8](repeating: 1, count: 254))]))) == .valueOutOfRange)
    }

    @Test("option data of 255 octets, and 256")
    func optionDataLength() throws {
        let longest = MobilityMessage.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .unknown(UnknownMobilityOption(type: 201, data: [UInt8](repeating: 1, count: 255)))]))
        #expect(try MobilityHeader(decoding: SampleMessages.encode(longest)).message == longest)
        #expect(encodeError(.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .unknown(UnknownMobilityOption(type: 201, data: [UInt8](repeating: 1, count: 256)))]))) == .valueOutOfRange)
    }

    @Test("IPv4 prefix length 32, and 33")
    func prefixLength() throws {
        let request = MobilityMessage.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .ipv4HomeAddressRequest(IPv4HomeAddressRequest(prefixLength: 32, address: IPv4Address(10, 0, 0, 1))),
            .ipv4HomeAddressReply(IPv4HomeAddressReply(prefixLength: 32, address: IPv4Address(10, 0, 0, 1)))]))
        #expect(try MobilityHeader(decoding: SampleMessages.encode(request)).message == request)
        #expect(encodeError(.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .ipv4HomeAddressRequest(IPv4HomeAddressRequest(prefixLength: 33, address: .any))]))) == .valueOutOfRange)
        #expect(encodeError(.heartbeat(Heartbeat(sequenceNumber: 1, options: [
            .ipv4HomeAddressReply(IPv4HomeAddressReply(prefixLength: 33, address: .any))]))) == .valueOutOfRange)
    }

    @Test("padding and authentication cannot be smuggled in as unknown options")
    func reservedTypes() {
        for type: UInt8 in [0, 1, 9] {
            #expect(encodeError(.heartbeat(Heartbeat(sequenceNumber: 1, options: [
                .unknown(UnknownMobilityOption(type: type, data: []))]))) == .valueOutOfRange)
        }
    }

    @Test("a failed encode leaves the buffer as it was")
    func failedEncodeWritesNothing() {
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        #expect(throws: MobilityHeaderError.self) {
            try MobilityHeader.encode(heartbeat(filling: 3000), into: &buffer)
        }
        #expect(Array(buffer.readableBytesView) == [1, 2, 3])
    }
}
