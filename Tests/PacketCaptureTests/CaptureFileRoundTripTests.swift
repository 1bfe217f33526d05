import Foundation
import GLMWire
import PacketCapture
import Testing

/// Files written by ``PcapFileWriter`` read back byte for byte and open in tshark.
@Suite("PacketCapture: writing capture files")
struct CaptureFileRoundTripTests {
    static let siteIPv4 = IPv4Address(198, 18, 1, 2)
    static let homeIPv4 = IPv4Address(198, 18, 0, 2)
    static let start = CaptureTimestamp(seconds: 1_795_551_825, nanoseconds: 981_154_000)
    static let tunnelPayload: [UInt8] = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    /// An arrival as the site agent sees it, then signaling to the home agent.
    static func ethernetFrames() throws -> [[UInt8]] {
        let vm = CaptureTestSupport.vmMAC
        return [
            FrameBuilder.selfAnnounce(mac: vm),
            FrameBuilder.gratuitousARP(mac: vm, ipv4: CaptureTestSupport.vmIPv4),
            FrameBuilder.arpReply(senderMAC: CaptureTestSupport.bridgeMAC, senderIPv4: CaptureTestSupport.gatewayIPv4,
                                  targetMAC: vm, targetIPv4: CaptureTestSupport.vmIPv4, padded: true),
            try FrameBuilder.ethernetIPv4UDP(destinationMAC: vm, sourceMAC: CaptureTestSupport.bridgeMAC,
                                             source: siteIPv4, destination: homeIPv4,
                                             sourcePort: 40_000, destinationPort: 5437, payload: tunnelPayload),
            try FrameBuilder.ethernetIPv4UDP(destinationMAC: vm, sourceMAC: CaptureTestSupport.bridgeMAC,
                                             vlan: VLANTag(identifier: 100, priority: 3),
                                             source: siteIPv4, destination: homeIPv4,
                                             sourcePort: 40_001, destinationPort: 5437, payload: [1, 2, 3], padded: true),
        ]
    }

    static func timestamps(_ count: Int, step: Duration = .milliseconds(50)) -> [CaptureTimestamp] {
        (0..<count).map { start.advanced(by: step * $0) }
    }

    /// Writes `frames`, reads them back and checks each packet and the link type.
    @discardableResult
    static func roundTrip(_ frames: [[UInt8]], linkType: LinkType, precision: TimestampPrecision,
                          path: String) throws -> [CapturedPacket] {
        let times = timestamps(frames.count)
        let writer = try PcapFileWriter(path: path, linkType: linkType, precision: precision)
        for (frame, time) in zip(frames, times) {
            try writer.write(frame, at: time)
        }
        try writer.close()

        let reader = try PcapFileReader(path: path)
        #expect(reader.linkType == linkType)
        let packets = try reader.readAll()
        #expect(packets.map(\.bytes) == frames)
        #expect(packets.map(\.originalLength) == frames.map(\.count))
        #expect(packets.map(\.timestamp) == times)
        return packets
    }

    @Test(arguments: [TimestampPrecision.microseconds, .nanoseconds])
    func ethernetFile(precision: TimestampPrecision) throws {
        let directory = try CaptureTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ethernet.pcap").path
        let frames = try Self.ethernetFrames()
        try Self.roundTrip(frames, linkType: .ethernet, precision: precision, path: path)

        // The file header: magic for the precision, version 2.4, snaplen, LINKTYPE_ETHERNET.
        let header = try Array(Data(contentsOf: URL(fileURLWithPath: path)).prefix(24))
        let magic: [UInt8] = precision == .microseconds ? [0xd4, 0xc3, 0xb2, 0xa1] : [0x4d, 0x3c, 0xb2, 0xa1]
        #expect(Array(header[0..<4]) == magic)
        #expect(Array(header[20..<24]) == [1, 0, 0, 0])

        let lines = try CaptureTestSupport.tshark(path, [
            "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=|",
            "-e", "eth.type", "-e", "arp.opcode", "-e", "arp.src.hw_mac", "-e", "arp.src.proto_ipv4",
            "-e", "vlan.id", "-e", "vlan.etype", "-e", "ip.checksum.status", "-e", "udp.checksum.status", "-e", "udp.dstport",
        ])
        #expect(lines == [
            "0x8035|3|52:54:00:12:34:56|0.0.0.0|||||",
            "0x0806|1|52:54:00:12:34:56|10.10.0.50|||||",
            "0x0806|2|5e:3f:ac:b6:d9:30|10.10.0.1|||||",
            "0x0800||||||1|1|5437",
            "0x8100||||100|0x0800|1|1|5437",
        ])
        let times = try CaptureTestSupport.tshark(path, ["-T", "fields", "-e", "frame.time_epoch"])
        #expect(times.first == "1795551825.981154000")
    }

    @Test func rawIPFile() throws {
        let directory = try CaptureTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("raw.pcap").path
        let packets = try (0..<3).map { index in
            try FrameBuilder.ipv4UDP(source: Self.siteIPv4, destination: Self.homeIPv4,
                                     sourcePort: 5436, destinationPort: 5436,
                                     payload: Self.tunnelPayload.prefix(8 * (index + 1)),
                                     identification: UInt16(index))
        }
        let read = try Self.roundTrip(packets, linkType: .rawIP, precision: .microseconds, path: path)
        for packet in read {
            let decoded = try LinkLayerPacket(linkType: .rawIP, frame: packet.bytes)
            #expect(decoded.udp?.destinationPort == 5436)
        }
        // LINKTYPE_RAW (101) in the file, though libpcap calls it DLT_RAW (12) in memory.
        let header = try Array(Data(contentsOf: URL(fileURLWithPath: path)).prefix(24))
        #expect(Array(header[20..<24]) == [101, 0, 0, 0])

        let lines = try CaptureTestSupport.tshark(path, [
            "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=|",
            "-e", "ip.src", "-e", "ip.dst", "-e", "ip.id", "-e", "ip.checksum.status", "-e", "udp.checksum.status",
        ])
        #expect(lines == [
            "198.18.1.2|198.18.0.2|0x0000|1|1",
            "198.18.1.2|198.18.0.2|0x0001|1|1",
            "198.18.1.2|198.18.0.2|0x0002|1|1",
        ])
    }

    @Test(arguments: [LinuxCookedHeader.Version.v1, .v2])
    func linuxCookedFile(version: LinuxCookedHeader.Version) throws {
        let directory = try CaptureTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cooked.pcap").path
        let ip = try FrameBuilder.ipv4UDP(source: Self.siteIPv4, destination: Self.homeIPv4,
                                          sourcePort: 5437, destinationPort: 5437, payload: Self.tunnelPayload)
        let frames = [
            FrameBuilder.linuxCooked(version, packetType: .broadcast, source: CaptureTestSupport.vmMAC,
                                     etherType: .reverseARP, interfaceIndex: 3,
                                     payload: ARPPacket.selfAnnounce(mac: CaptureTestSupport.vmMAC).serialized()),
            FrameBuilder.linuxCooked(version, packetType: .outgoing, source: CaptureTestSupport.bridgeMAC,
                                     etherType: .ipv4, interfaceIndex: 4, payload: ip),
        ]
        let read = try Self.roundTrip(frames, linkType: version.linkType, precision: .microseconds, path: path)
        let announce = try LinkLayerPacket(linkType: version.linkType, frame: read[0].bytes)
        #expect(announce.announcedMAC == CaptureTestSupport.vmMAC)
        #expect(try LinkLayerPacket(linkType: version.linkType, frame: read[1].bytes).udp?.destinationPort == 5437)

        let fields = ["-e", "sll.pkttype", "-e", "sll.src.eth", "-e", "sll.etype", "-e", "arp.opcode", "-e", "udp.dstport"]
            + (version == .v2 ? ["-e", "sll.ifindex"] : [])
        let lines = try CaptureTestSupport.tshark(path, ["-T", "fields", "-E", "separator=|"] + fields)
        let suffix = version == .v2 ? ["|3", "|4"] : ["", ""]
        #expect(lines == [
            "1|52:54:00:12:34:56|0x8035|3|" + suffix[0],
            "4|5e:3f:ac:b6:d9:30|0x0800||5437" + suffix[1],
        ])
    }

    @Test func snapshotLengthCutsLongPackets() throws {
        let directory = try CaptureTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cut.pcap").path
        let frame = try Self.ethernetFrames()[3]
        let writer = try PcapFileWriter(path: path, linkType: .ethernet, snapshotLength: 64)
        try writer.write(frame, at: Self.start)
        try writer.write(CapturedPacket(timestamp: Self.start, bytes: Array(frame.prefix(50)), originalLength: 1500))
        try writer.flush()
        try writer.close()
        try writer.close()

        let reader = try PcapFileReader(path: path)
        #expect(reader.snapshotLength == 64)
        let packets = try reader.readAll()
        #expect(packets.count == 2)
        #expect(packets[0].bytes == Array(frame.prefix(64)))
        #expect(packets[0].originalLength == frame.count)
        #expect(packets[0].isTruncated)
        #expect(packets[1].bytes.count == 50)
        #expect(packets[1].originalLength == 1500)
        // A cut packet still decodes down to what its octets hold; IPv4 needs all of it.
        let error = #expect(throws: FrameError.self) {
            _ = try LinkLayerPacket(linkType: .ethernet, frame: packets[0].bytes)
        }
        #expect(error?.code == .totalLengthMismatch)
    }

    @Test func nanosecondsSurviveANanosecondFile() throws {
        let directory = try CaptureTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nano.pcap").path
        let time = CaptureTimestamp(seconds: 1_795_551_826, nanoseconds: 30_671_123)
        let writer = try PcapFileWriter(path: path, linkType: .ethernet, precision: .nanoseconds)
        try writer.write(FrameBuilder.selfAnnounce(mac: CaptureTestSupport.vmMAC), at: time)
        try writer.close()
        #expect(try PcapFileReader(path: path).next()?.timestamp == time)

        let microPath = directory.appendingPathComponent("micro.pcap").path
        let microWriter = try PcapFileWriter(path: microPath, linkType: .ethernet, precision: .microseconds)
        try microWriter.write(FrameBuilder.selfAnnounce(mac: CaptureTestSupport.vmMAC), at: time)
        try microWriter.close()
        #expect(try PcapFileReader(path: microPath).next()?.timestamp
                == CaptureTimestamp(seconds: 1_795_551_826, nanoseconds: 30_671_000))
    }

    @Test func errorsCarryLibpcapsText() throws {
        let directory = try CaptureTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let missing = directory.appendingPathComponent("missing.pcap").path
        let openError = #expect(throws: CaptureError.self) { _ = try PcapFileReader(path: missing) }
        #expect(openError?.code == .open)
        #expect(openError?.message.contains("No such file") == true, "\(String(describing: openError))")

        let garbage = directory.appendingPathComponent("garbage.pcap").path
        try Data("this is not a capture file at all".utf8).write(to: URL(fileURLWithPath: garbage))
        let formatError = #expect(throws: CaptureError.self) { _ = try PcapFileReader(path: garbage) }
        #expect(formatError?.code == .open)
        #expect(formatError?.message.isEmpty == false)

        // A file cut in the middle of its second record.
        let whole = directory.appendingPathComponent("whole.pcap").path
        try Self.roundTrip(try Self.ethernetFrames(), linkType: .ethernet, precision: .microseconds, path: whole)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = directory.appendingPathComponent("cut.pcap").path
        try bytes.prefix(24 + 16 + 60 + 16 + 10).write(to: URL(fileURLWithPath: cut))
        let reader = try PcapFileReader(path: cut)
        #expect(try reader.next() != nil)
        let readError = #expect(throws: CaptureError.self) { _ = try reader.next() }
        #expect(readError?.code == .read)
        #expect(readError?.message.contains("truncated") == true, "\(String(describing: readError))")
        reader.close()
        let closedError = #expect(throws: CaptureError.self) { _ = try reader.next() }
        #expect(closedError?.code == .closed)

        let unwritable = directory.appendingPathComponent("no/such/dir.pcap").path
        let createError = #expect(throws: CaptureError.self) {
            _ = try PcapFileWriter(path: unwritable, linkType: .ethernet)
        }
        #expect(createError?.code == .open)

        let writer = try PcapFileWriter(path: directory.appendingPathComponent("w.pcap").path, linkType: .ethernet)
        let early = #expect(throws: CaptureError.self) {
            try writer.write([0], at: CaptureTimestamp(seconds: -1, nanoseconds: 0))
        }
        #expect(early?.code == .invalidArgument)
        try writer.close()
        let afterClose = #expect(throws: CaptureError.self) { try writer.write([0], at: Self.start) }
        #expect(afterClose?.code == .closed)

        let badSnap = #expect(throws: CaptureError.self) {
            _ = try PcapFileWriter(path: directory.appendingPathComponent("s.pcap").path, linkType: .ethernet,
                                   snapshotLength: 0)
        }
        #expect(badSnap?.code == .invalidArgument)
    }
}
