import Foundation
import GLMWire
import NIOCore
import Testing

/// Replays the Regressions resource folder through everything the fuzz target checks
/// (Fuzz/Sources/GLMWireFuzz): the signaling decoder, its re-encoding round trip,
/// verification and the tunnel decoder.
///
/// The folder holds the fuzzer's seeds (`seed-*`, written by Fuzz/make-seeds.py) and every
/// input a fuzzing run found to crash, leak or hang (`crash-*`, `leak-*`, `timeout-*`,
/// `oom-*`, copied there by scripts/fuzz.sh). An input that still breaks a decoder
/// crashes or fails this suite.
@Suite("Regression inputs")
struct RegressionInputTests {
    static let folder = Bundle.module.url(forResource: "Regressions", withExtension: nil)
    static let names: [String] = {
        guard let folder, let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            return []
        }
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }()

    static let associations = SecurityAssociations([SampleMessages.sha256, SampleMessages.sha1])
    static let toHome = AuthenticationScope(sender: SampleMessages.site, receiver: SampleMessages.home)
    static let toSite = AuthenticationScope(sender: SampleMessages.home, receiver: SampleMessages.site)

    static func contents(_ name: String) throws -> [UInt8] {
        let folder = try #require(folder, "the Regressions resource folder is missing from the test bundle")
        return [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    @Test("the folder holds inputs, the seeds among them")
    func folderIsNotEmpty() throws {
        _ = try #require(Self.folder, "the Regressions resource folder is missing from the test bundle")
        #expect(!Self.names.isEmpty)
        #expect(Self.names.contains { $0.hasPrefix("seed-") }, "no seed-* inputs; run python3 Fuzz/make-seeds.py")
    }

    @Test("every input goes through both decoders, the round trip and verification", arguments: names)
    func replay(_ name: String) throws {
        let bytes = try Self.contents(name)
        checkSignaling(bytes, name)
        checkTunnel(bytes, name)
    }

    @Test("each seed is what its name says", arguments: names.filter { $0.hasPrefix("seed-") })
    func seedIsValid(_ name: String) throws {
        let bytes = try Self.contents(name)
        if name.hasPrefix("seed-tunnel-") {
            #expect(throws: Never.self, "\(name) is not a tunnel frame") { try TunnelFrame(decoding: ByteBuffer(bytes: bytes)) }
            return
        }
        let buffer = ByteBuffer(bytes: bytes)
        let header = try MobilityHeader(decoding: buffer)
        if name.contains("sha256") || name.contains("sha1") {
            let verdicts = [Self.toHome, Self.toSite].map { Self.associations.verify(header, bytes: buffer, scope: $0) }
            #expect(verdicts.contains { $0.isVerified }, "\(name) does not verify in either direction: \(verdicts)")
        } else {
            #expect(header.authentication == nil, "\(name) carries an authentication option")
        }
    }

    // MARK: - The fuzz target's properties

    func checkSignaling(_ bytes: [UInt8], _ name: String) {
        let buffer = ByteBuffer(bytes: bytes)
        let fromBuffer = Result { () throws(MobilityHeaderError) in try MobilityHeader(decoding: buffer) }
        let fromArray = Result { () throws(MobilityHeaderError) in try MobilityHeader(decoding: bytes) }
        #expect(fromArray == fromBuffer, "\(name): an array and a ByteBuffer decode differently")
        let shifted = Self.shiftedBuffer(bytes)
        let fromShifted = Result { () throws(MobilityHeaderError) in try MobilityHeader(decoding: shifted) }
        #expect(fromShifted == fromBuffer, "\(name): decoding depends on the reader index")

        guard case .success(let header) = fromBuffer else { return }
        let verdict = Self.associations.verify(header, bytes: buffer, scope: Self.toHome)
        #expect(Self.associations.verify(header, bytes: shifted, scope: Self.toHome) == verdict,
                "\(name): verification depends on the reader index")
        if header.authentication == nil {
            #expect(verdict == .missing, "\(name): no authentication option, yet verdict \(verdict)")
        }

        roundTrip(header.message, signer: nil, name)
        for association in [SampleMessages.sha256, SampleMessages.sha1] {
            roundTrip(header.message, signer: MessageSigner(association: association, scope: Self.toHome), name)
        }
    }

    func roundTrip(_ message: MobilityMessage, signer: MessageSigner?, _ name: String) {
        let signing = signer.map { "signed by SPI \($0.association.spi)" } ?? "unsigned"
        let encoded: ByteBuffer
        do throws(MobilityHeaderError) {
            encoded = try MobilityHeader.encode(message, signer: signer)
        } catch where error.code == .messageTooLong {
            // Options the input packed without alignment padding can outgrow 2048 octets.
            return
        } catch {
            Issue.record("\(name): re-encoding the decoded message (\(signing)) failed: \(error)")
            return
        }
        #expect(encoded.readableBytes % 8 == 0 && encoded.readableBytes <= MobilityHeader.maximumLength,
                "\(name): the re-encoding (\(signing)) is \(encoded.readableBytes) octets")

        guard let decoded = try? MobilityHeader(decoding: encoded) else {
            Issue.record("\(name): the re-encoding (\(signing)) does not decode: \(encoded.readableBytesView.hexString)")
            return
        }
        #expect(decoded.message == message, "\(name): the round trip (\(signing)) changed the message")
        if let signer {
            let spi = signer.association.spi
            #expect(decoded.authentication?.spi == spi, "\(name): the re-encoding is not signed by SPI \(spi)")
            #expect(Self.associations.verify(decoded, bytes: encoded, scope: signer.scope) == .verified(spi: spi),
                    "\(name): the re-encoding signed by SPI \(spi) does not verify")
        } else {
            #expect(decoded.authentication == nil && decoded.authenticatedLength == nil,
                    "\(name): an unsigned re-encoding decodes with authentication")
        }
        #expect((try? MobilityHeader.encode(decoded.message, signer: signer)) == encoded,
                "\(name): encoding the decoded re-encoding (\(signing)) gives other octets")
    }

    func checkTunnel(_ bytes: [UInt8], _ name: String) {
        let decoded = Result { () throws(TunnelFrameError) in try TunnelFrame(decoding: ByteBuffer(bytes: bytes)) }
        let shifted = Self.shiftedBuffer(bytes)
        let fromShifted = Result { () throws(TunnelFrameError) in try TunnelFrame(decoding: shifted) }
        #expect(fromShifted == decoded, "\(name): tunnel decoding depends on the reader index")
        guard case .success(let frame) = decoded else { return }

        _ = frame.innerSource
        _ = frame.innerDestination
        #expect(frame.packet.readableBytes + TunnelFrame.overhead(frame.format) <= bytes.count,
                "\(name): the inner packet does not fit in the input")
        var encoded = ByteBuffer()
        do throws(TunnelFrameError) {
            try TunnelFrame.encode(frame.packet, format: frame.format, into: &encoded)
        } catch {
            Issue.record("\(name): re-encoding the decoded tunnel frame failed: \(error)")
            return
        }
        #expect((try? TunnelFrame(decoding: encoded)) == frame, "\(name): the tunnel round trip changed the frame")
    }

    /// The same octets behind three octets already read.
    static func shiftedBuffer(_ bytes: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeBytes([0xa5, 0x5a, 0xa5])
        buffer.writeBytes(bytes)
        buffer.moveReaderIndex(forwardBy: 3)
        return buffer
    }
}
