import ArgumentParser
import Foundation
import GLMWire
import NIOCore
import PacketCapture

/// `glmctl decode FILE.pcap`: every signaling message in a capture, as text or JSON.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode the GLM signaling (UDP 5436) in a capture file.",
        discussion: """
            Prints one line (or, with --json, one JSON object) per signaling message, and one \
            error line or object, with the reason, per datagram on UDP 5436 that does not decode. \
            Exits with status 1 when any datagram did not decode, 2 when the file cannot be read.
            """
    )

    @Argument(help: "A pcap file (Ethernet, raw IP or Linux cooked capture).")
    var file: String

    @Option(help: "Security associations to verify authenticators with: `SPI ALGORITHM HEX-KEY` per line.")
    var keys: String?

    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    @Option(help: "The signaling UDP port.")
    var port: UInt16 = 5436

    func run() throws {
        let associations = try keys.map { try KeyFile(contentsOf: $0).associations }
        let reader: PcapFileReader
        do {
            reader = try PcapFileReader(path: file)
        } catch {
            FileHandle.standardError.write(Data("glmctl: \(file): \(error)\n".utf8))
            throw ExitCode(2)
        }
        var output = SignalingOutput(json: json)
        var frame = 0
        var failures = 0
        while let packet = try reader.next() {
            frame += 1
            guard let link = try? LinkLayerPacket(linkType: reader.linkType, frame: packet.bytes, verifyingIPv4Checksum: false),
                  case .udp(let ip, let udp) = link.content,
                  udp.sourcePort == port || udp.destinationPort == port else {
                continue
            }
            var record = SignalingOutput.Record(
                frame: frame, time: packet.timestamp.timeIntervalSince1970,
                source: ip.source, sourcePort: udp.sourcePort,
                destination: ip.destination, destinationPort: udp.destinationPort)
            if ip.isFragment {
                failures += 1
                output.emitError(record, code: "fragmented", offset: 0, reason: "IPv4 fragment; signaling is never fragmented")
                continue
            }
            let bytes = ByteBuffer(bytes: udp.payload)
            do {
                let header = try MobilityHeader(decoding: bytes)
                record.header = header
                record.verdict = associations?.verify(
                    header, bytes: bytes, scope: AuthenticationScope(sender: ip.source, receiver: ip.destination))
                output.emit(record)
            } catch {
                failures += 1
                output.emitError(record, code: error.code.description, offset: error.offset, reason: error.reason)
            }
        }
        if failures > 0 {
            throw ExitCode(1)
        }
    }
}
