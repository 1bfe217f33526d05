import GLMWire
import Testing

/// Messages written octet by octet from the RFC figures, not by the encoder, and the
/// values each field must decode to.
@Suite("Hand-written RFC layouts decode to the RFC's values")
struct RFCLayoutTests {
    @Test("Proxy Binding Update (RFC 6275 §6.1.7, RFC 5213 §8.1)")
    func proxyBindingUpdate() throws {
        let bytes: [UInt8] = [
            59, 6, 5, 0, 0xbe, 0xef,      // RFC 6275 §6.1.1: Payload Proto 59, Header Len 6 (56 octets), MH Type 5, Reserved, Checksum (ignored)
            0x01, 0x02,                   // §6.1.7 Sequence # 258
            0x82, 0x00,                   // A and P flags (RFC 5213 §8.1)
            0x00, 0x4b,                   // Lifetime 75 units = 300 s
            8, 7, 5, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc,  // RFC 4283 MN-ID, subtype 5 EUI-48
            23, 2, 0, 3,                  // RFC 5213 §8.4 Handoff Indicator 3
            24, 2, 0, 1,                  // RFC 5213 §8.5 ATT 1 (virtual)
            1, 3, 0, 0, 0,                // PadN so the Timestamp sits at 8n+2 (offset 34)
            27, 8, 0x00, 0x00, 0x6a, 0xfd, 0x86, 0xc0, 0x40, 0x00,  // RFC 5213 §8.8 Timestamp 1795000000 + 0x4000/65536
            36, 6, 24 << 2, 0, 10, 10, 0, 50,  // RFC 5844 §3.3.1 IPv4 HoA Request 10.10.0.50/24 (offset 44, 4n)
            0, 0, 0, 0,                   // Pad1 x4 to 56 octets
        ]
        #expect(bytes.count == 56)
        let header = try MobilityHeader(decoding: bytes)
        guard case .proxyBindingUpdate(let pbu) = header.message else { Issue.record("not a PBU"); return }
        #expect(pbu.sequenceNumber == 258)
        #expect(pbu.flags == [.acknowledge, .proxy])
        #expect(pbu.lifetimeSeconds == 300)
        #expect(pbu.options.mobileNodeIdentifier == .eui48(MACAddress(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc)))
        #expect(pbu.options.handoffIndicator == .handoffBetweenMAGs)
        #expect(pbu.options.accessTechnologyType == .virtual)
        #expect(pbu.options.timestamp == PMIPTimestamp(seconds: 1_795_000_000, fraction: 0x4000))
        #expect(pbu.options.ipv4HomeAddressRequest == IPv4HomeAddressRequest(prefixLength: 24, address: IPv4Address(10, 10, 0, 50)))
        #expect(header.authentication == nil)
        #expect(throws: MobilityHeaderError.self) { try MobilityHeader(decoding: bytes + [0]) }
    }

    @Test("Proxy Binding Acknowledgement (RFC 6275 §6.1.8, RFC 5213 §8.2, RFC 5844 §3.3)")
    func proxyBindingAcknowledgement() throws {
        let bytes: [UInt8] = [
            59, 4, 6, 0, 0, 0,
            0,                            // §6.1.8 Status 0 (accepted)
            0x20,                         // P flag (RFC 5213 §8.2)
            0x01, 0x02,                   // Sequence # 258
            0x00, 0x4b,                   // Lifetime 75 units
            37, 6, 0, 24 << 2, 10, 10, 0, 50,    // RFC 5844 §3.3.2 IPv4 HoA Reply: status 0, 10.10.0.50/24 (offset 12, 4n)
            38, 6, 0, 0, 10, 10, 0, 1,           // RFC 5844 §3.3.3 IPv4 Default Router 10.10.0.1 (offset 20, 4n)
            33, 6, 0, 0, 0x00, 0x00, 0x10, 0x01, // RFC 5845 §3.1 GRE Key 4097 (offset 28, 4n)
            1, 2, 0, 0,                   // PadN to 40 octets
        ]
        let header = try MobilityHeader(decoding: bytes)
        guard case .proxyBindingAcknowledgement(let pba) = header.message else { Issue.record("not a PBA"); return }
        #expect(pba.status == .accepted)
        #expect(pba.flags == [.proxy])
        #expect(pba.sequenceNumber == 258)
        #expect(pba.lifetimeUnits == 75)
        #expect(pba.options.ipv4HomeAddressReply == IPv4HomeAddressReply(status: .success, prefixLength: 24, address: IPv4Address(10, 10, 0, 50)))
        #expect(pba.options.ipv4DefaultRouterAddress == IPv4Address(10, 10, 0, 1))
        #expect(pba.options.greKey == .some(4097))
    }

    @Test("Heartbeat with Restart Counter (RFC 5847 §5.1-5.2)")
    func heartbeat() throws {
        let bytes: [UInt8] = [
            59, 2, 13, 0, 0, 0,           // Header Len 2: 24 octets
            0x00, 0x01,                   // Reserved, U = 0, R = 1 (response)
            0x00, 0x00, 0x01, 0x00,       // Sequence Number 256
            1, 0,                         // PadN of two octets so the Restart Counter sits at 4n+2 (offset 14)
            28, 4, 0, 0, 0, 7,            // Restart Counter 7
            1, 2, 0, 0,                   // PadN to 24 octets
        ]
        #expect(bytes.count == 24)
        guard case .heartbeat(let heartbeat) = try MobilityHeader(decoding: bytes).message else { Issue.record("not a heartbeat"); return }
        #expect(heartbeat.isResponse)
        #expect(heartbeat.sequenceNumber == 256)
        #expect(heartbeat.options.restartCounter == 7)
    }

    @Test("Binding Revocation Indication and Acknowledgement (RFC 5846 §8.1-8.2)")
    func bindingRevocation() throws {
        let indication: [UInt8] = [
            59, 2, 16, 0, 0, 0,
            1,                            // B.R. Type 1: indication
            2,                            // R. Trigger 2: inter-MAG handover, same access type
            0x00, 0x2a,                   // Sequence # 42
            0x80, 0x00,                   // P flag (proxy binding)
            8, 7, 5, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc,  // MN-ID EUI-48
            1, 1, 0,                      // PadN to 24 octets
        ]
        guard case .bindingRevocationIndication(let bri) = try MobilityHeader(decoding: indication).message else {
            Issue.record("not a BRI"); return
        }
        #expect(bri.trigger == .interMAGHandoverSameAccessType)
        #expect(bri.sequenceNumber == 42)
        #expect(bri.flags == [.proxyBinding])
        #expect(bri.options.mobileNodeIdentifier == .eui48(MACAddress(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc)))

        let acknowledgement: [UInt8] = [
            59, 1, 16, 0, 0, 0,
            2,                            // B.R. Type 2: acknowledgement
            128,                          // Status 128: binding does not exist
            0x00, 0x2a,                   // Sequence # 42
            0xe0, 0x00,                   // P, V and G flags
            1, 2, 0, 0,                   // PadN to 16 octets
        ]
        guard case .bindingRevocationAcknowledgement(let bra) = try MobilityHeader(decoding: acknowledgement).message else {
            Issue.record("not a BRA"); return
        }
        #expect(bra.status == .bindingDoesNotExist)
        #expect(bra.flags == [.proxyBinding, .ipv4HomeAddressOnly, .global])
    }

    @Test("a Vendor Specific option (RFC 5094 §3) at 4n+2: GLM's preparation mark, octet for octet")
    func vendorSpecificLayout() throws {
        let message = MobilityMessage.proxyBindingUpdate(ProxyBindingUpdate(
            sequenceNumber: 9, flags: [.acknowledge, .proxy], lifetimeUnits: 5, options: [.vendorSpecific(.prepare)]))
        let bytes: [UInt8] = [
            59, 2, 5, 0, 0, 0,            // MH: payload proto, header length (24 octets), type 5 (PBU), reserved, checksum
            0x00, 0x09,                   // Sequence # 9
            0x82, 0x00,                   // A and P flags
            0x00, 0x05,                   // Lifetime 5 (20 s)
            1, 0,                         // PadN: the option starts at 14 = 4n+2
            19, 5,                        // Vendor Specific, length 5
            0x00, 0x00, 0x7e, 0xd9,       // Vendor ID 32473 (RFC 5612's documentation number)
            1,                            // Sub-type 1: prepare
            1, 1, 0,                      // PadN to 24 octets
        ]
        #expect(try SampleMessages.encode(message) == bytes)
        guard case .proxyBindingUpdate(let pbu) = try MobilityHeader(decoding: bytes).message else {
            Issue.record("not a PBU"); return
        }
        #expect(pbu.options.isPreparation)
        #expect(pbu.options.vendorSpecific == [VendorSpecificOption(vendorID: 32473, subtype: 1)])
        // Shorter than Vendor ID and Sub-type: refused.
        var short = bytes
        short[15] = 4
        short[20] = 1; short[21] = 2; short[22] = 0; short[23] = 0
        #expect(throws: MobilityHeaderError.self) { try MobilityHeader(decoding: short) }
    }

    @Test("the encoder writes the hand-written heartbeat octet for octet")
    func encoderMatchesHandLayout() throws {
        let message = MobilityMessage.heartbeat(Heartbeat(flags: [.response], sequenceNumber: 256, options: [.restartCounter(7)]))
        #expect(try SampleMessages.encode(message) == [59, 2, 13, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00,
                                                      1, 0, 28, 4, 0, 0, 0, 7, 1, 2, 0, 0])
    }
}
