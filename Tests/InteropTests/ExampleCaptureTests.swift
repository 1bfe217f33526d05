import Foundation
import GLMWire
import Testing

/// `Docs/examples/handoff.pcap`, which `make decode-demo` decodes, is exactly what the encoder
/// writes today. Run with GLM_UPDATE_EXAMPLES=1 to rewrite it after a deliberate change.
@Suite("The example capture")
struct ExampleCaptureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let example = root.appendingPathComponent("Docs/examples/handoff.pcap").path
    static let keys = root.appendingPathComponent("Docs/examples/handoff.keys").path

    @Test("matches the encoder octet for octet")
    func upToDate() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let fresh = scratch.file("handoff.pcap")
        try SignalingCapture.write(to: fresh)
        if ProcessInfo.processInfo.environment["GLM_UPDATE_EXAMPLES"] == "1" {
            _ = try? FileManager.default.removeItem(atPath: Self.example)
            try FileManager.default.copyItem(atPath: fresh, toPath: Self.example)
        }
        let committed = try #require(FileManager.default.contents(atPath: Self.example), "missing \(Self.example)")
        #expect(committed == FileManager.default.contents(atPath: fresh))
    }

    @Test("its keys file holds the associations it was signed with")
    func keysFile() throws {
        let text = try String(contentsOfFile: Self.keys, encoding: .utf8)
        #expect(text.contains("256 hmac-sha256-128 \(SignalingCapture.key.hexString)"))
        #expect(text.contains("257 hmac-sha1-96 \(Array(SignalingCapture.key.prefix(20)).hexString)"))
    }
}
