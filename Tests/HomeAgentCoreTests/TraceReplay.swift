import Foundation
import GLMWire
import HomeAgentCore
import NIOCore
import PacketCapture

/// A capture of what reaches a home agent — signaling from sites on UDP 5436 and the
/// frames of its home LAN — written as a pcap file and replayed through a core with the
/// capture's own timestamps.
struct Trace {
    private(set) var frames: [(time: Double, bytes: [UInt8])] = []
    static let siteMAC = MACAddress(0x02, 0, 0, 0, 0, 1)
    static let homeMAC = MACAddress(0x02, 0, 0, 0, 0, 2)

    mutating func add(_ bytes: ByteBuffer, from site: Harness.Site, at time: Double) {
        let frame = try! FrameBuilder.ethernetIPv4UDP(
            destinationMAC: Self.homeMAC, sourceMAC: Self.siteMAC, source: site.address, destination: Harness.home,
            sourcePort: site.port, destinationPort: 5436, payload: Array(bytes.readableBytesView))
        frames.append((time, frame))
    }

    /// The VM's announce (QEMU's RARP) on the home LAN.
    mutating func addHomeAnnounce(_ mac: MACAddress, at time: Double) {
        frames.append((time, FrameBuilder.selfAnnounce(mac: mac)))
    }

    func write(to path: String) throws {
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        for frame in frames.sorted(by: { $0.time < $1.time }) {
            try writer.write(frame.bytes, at: CaptureTimestamp(timeIntervalSince1970: frame.time)!)
        }
        try writer.close()
    }

    /// Reads a capture and hands every packet for the home agent to the harness's core at
    /// its captured time; returns the actions of each packet, in order.
    static func replay(_ path: String, into harness: inout Harness) throws -> [[HomeAgentAction]] {
        let reader = try PcapFileReader(path: path)
        var results: [[HomeAgentAction]] = []
        while let packet = try reader.next() {
            let time = packet.timestamp.timeIntervalSince1970
            let link = try LinkLayerPacket(linkType: reader.linkType, frame: packet.bytes)
            if let mac = link.announcedMAC {
                results.append(harness.handle(.vmAnnouncedAtHome(mac), at: time))
            } else if case .udp(let ip, let udp) = link.content, udp.destinationPort == 5436, ip.destination == Harness.home {
                results.append(harness.handle(.datagram(ByteBuffer(bytes: udp.payload), from: ip.source, port: udp.sourcePort,
                                                        to: ip.destination), at: time))
            }
        }
        return results
    }

    /// Writes the trace to a temporary file, replays it, and removes the file.
    func replay(into harness: inout Harness) throws -> [[HomeAgentAction]] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("glm-trace-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try write(to: path)
        return try Self.replay(path, into: &harness)
    }
}
