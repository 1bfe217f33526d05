import GLMWire
import NIOCore
import Testing

@Suite("Mobility Message Authentication")
struct AuthenticationTests {
    /// The sample PBU signed by SPI 0x100 (HMAC-SHA-256-128, key 00 01 .. 1f) from
    /// 198.18.1.2 to 198.18.0.2. Its authenticator was computed outside this code base with
    /// Python's `hmac` module over 198.18.1.2 | 198.18.0.2 | octets 0-56 of the message with
    /// the checksum zero, as Docs/protocol.md defines; it matches the encoder's output.
    static let signedProxyBindingUpdate = [UInt8](hexString:
        "3b090500000000078200004b080705525400123456170200031802000101030000001b0800006afd86c08000"
        + "240600000000000001030000000915010000010034a8ce90ebe165bd1cbbaae38c012c37")!

    /// The sample PBA signed by SPI 0x200 (HMAC-SHA1-96, key 64 65 .. 77) from 198.18.0.2
    /// to 198.18.1.2, checked the same way.
    static let signedProxyBindingAcknowledgement = [UInt8](hexString:
        "3b090600000000200007004b08070552540012345601030000001b0800006afd86c08000250600600a0a0032"
        + "260600000a0a000121060000000102030009110100000200daf83755af5e0b4f31720da9")!

    static let associations = SecurityAssociations([SampleMessages.sha256, SampleMessages.sha1])
    static let toHome = AuthenticationScope(sender: SampleMessages.site, receiver: SampleMessages.home)
    static let toSite = AuthenticationScope(sender: SampleMessages.home, receiver: SampleMessages.site)

    func verdict(_ bytes: [UInt8], _ scope: AuthenticationScope,
                 _ associations: SecurityAssociations = Self.associations) throws -> AuthenticationVerdict {
        let buffer = ByteBuffer(bytes: bytes)
        return associations.verify(try MobilityHeader(decoding: buffer), bytes: buffer, scope: scope)
    }

    @Test("the encoder reproduces the independently computed vectors")
    func vectors() throws {
        #expect(try SampleMessages.encode(.proxyBindingUpdate(SampleMessages.proxyBindingUpdate),
                                          signer: SampleMessages.siteSigner) == Self.signedProxyBindingUpdate)
        let signer = MessageSigner(association: SampleMessages.sha1, scope: Self.toSite)
        #expect(try SampleMessages.encode(.proxyBindingAcknowledgement(SampleMessages.proxyBindingAcknowledgement),
                                          signer: signer) == Self.signedProxyBindingAcknowledgement)
    }

    @Test("both algorithms verify in the right scope")
    func verifies() throws {
        #expect(try verdict(Self.signedProxyBindingUpdate, Self.toHome) == .verified(spi: 0x100))
        #expect(try verdict(Self.signedProxyBindingAcknowledgement, Self.toSite) == .verified(spi: 0x200))
    }

    @Test("the addresses are bound: swapped or other addresses fail")
    func scopeBound() throws {
        #expect(try verdict(Self.signedProxyBindingUpdate, Self.toSite) == .mismatch(spi: 0x100))
        let other = AuthenticationScope(sender: IPv4Address(198, 18, 9, 9), receiver: SampleMessages.home)
        #expect(try verdict(Self.signedProxyBindingUpdate, other) == .mismatch(spi: 0x100))
    }

    @Test("changing any covered octet fails, changing the checksum does not")
    func everyOctetCovered() throws {
        let original = Self.signedProxyBindingUpdate
        for index in original.indices where index != 1 {
            var tampered = original
            tampered[index] ^= 0x01
            guard let header = try? MobilityHeader(decoding: tampered) else { continue }
            let buffer = ByteBuffer(bytes: tampered)
            let result = Self.associations.verify(header, bytes: buffer, scope: Self.toHome)
            if index == 4 || index == 5 {
                #expect(result == .verified(spi: 0x100), "checksum octet \(index) is ignored over UDP")
            } else {
                #expect(!result.isVerified, "octet \(index) changed yet verified")
            }
        }
    }

    @Test("missing, unknown SPI, wrong subtype, wrong length, wrong key")
    func refusals() throws {
        let unsigned = try SampleMessages.encode(.proxyBindingUpdate(SampleMessages.proxyBindingUpdate))
        #expect(try verdict(unsigned, Self.toHome) == .missing)
        #expect(try verdict(Self.signedProxyBindingUpdate, Self.toHome, SecurityAssociations([SampleMessages.sha1])) == .unknownSPI(0x100))
        var subtype = Self.signedProxyBindingUpdate
        subtype[59] = 2
        #expect(try verdict(subtype, Self.toHome) == .unsupportedSubtype(2))
        // SPI 0x100 under HMAC-SHA1-96 expects 12 octets, the message carries 16.
        let mismatched = SecurityAssociation(spi: 0x100, algorithm: .hmacSHA1_96, key: SampleMessages.key256)!
        #expect(try verdict(Self.signedProxyBindingUpdate, Self.toHome, SecurityAssociations([mismatched])) == .wrongLength(spi: 0x100))
        let otherKey = SecurityAssociation(spi: 0x100, key: [UInt8](repeating: 7, count: 32))!
        #expect(try verdict(Self.signedProxyBindingUpdate, Self.toHome, SecurityAssociations([otherKey])) == .mismatch(spi: 0x100))
    }

    @Test("reserved SPIs 0-255 are refused (RFC 4285 §5)")
    func reservedSPIs() {
        #expect(SecurityAssociation(spi: 255, key: SampleMessages.key256) == nil)
        #expect(SecurityAssociation(spi: 0, key: SampleMessages.key256) == nil)
        #expect(SecurityAssociation(spi: 256, key: SampleMessages.key256) != nil)
    }

    @Test("keys shorter than 128 bits are refused")
    func shortKeys() {
        #expect(SecurityAssociation(spi: 300, key: [UInt8](repeating: 1, count: 15)) == nil)
        #expect(SecurityAssociation(spi: 300, key: [UInt8](repeating: 1, count: 16)) != nil)
    }

    @Test("signed messages of every kind verify", arguments: SampleMessages.all)
    func allKinds(_ message: MobilityMessage) throws {
        for association in [SampleMessages.sha256, SampleMessages.sha1] {
            let bytes = try SampleMessages.encode(message, signer: MessageSigner(association: association, scope: Self.toHome))
            #expect(try verdict(bytes, Self.toHome) == .verified(spi: association.spi))
        }
    }
}
