import GLMWire
import PacketCapture
import Testing

/// The two captures from the destination host of a real QEMU 7.2 migration
/// (see shared/docs/protocol-facts.md): one on the bridge, one on the VM's tap.
/// The VM is 52:54:00:12:34:56 with 10.10.0.50; the bridge, 5e:3f:ac:b6:d9:30,
/// holds the gateway 10.10.0.1 and pings the VM across the migration.
@Suite("PacketCapture: the QEMU migration fixtures")
struct FixtureTests {
    struct Decoded {
        var packet: CapturedPacket
        var frame: LinkLayerPacket
    }

    static func load(_ name: String) throws -> (PcapFileReader, [Decoded]) {
        let reader = try PcapFileReader(path: try CaptureTestSupport.fixture(name))
        let decoded = try reader.readAll().map { packet in
            Decoded(packet: packet, frame: try LinkLayerPacket(linkType: reader.linkType, frame: packet.bytes))
        }
        return (reader, decoded)
    }

    static let bridge = "qemu-migration-destination-bridge.pcap"
    static let tap = "qemu-migration-destination-tap.pcap"

    /// The announce times, as tcpdump prints them, identical in both captures.
    static let announceTimes: [CaptureTimestamp] = [
        CaptureTimestamp(seconds: 1_795_551_825, microseconds: 981_154),
        CaptureTimestamp(seconds: 1_795_551_826, microseconds: 30_671),
        CaptureTimestamp(seconds: 1_795_551_826, microseconds: 180_677),
        CaptureTimestamp(seconds: 1_795_551_826, microseconds: 430_661),
        CaptureTimestamp(seconds: 1_795_551_826, microseconds: 780_659),
    ]

    @Test(arguments: [(bridge, 157, 16), (tap, 162, 21)])
    func fileHeaderAndCounts(name: String, packets: Int, ipv6: Int) throws {
        let (reader, decoded) = try Self.load(name)
        #expect(reader.linkType == .ethernet)
        #expect(reader.snapshotLength == 262_144)
        #expect(decoded.count == packets)
        #expect(decoded.allSatisfy { !$0.packet.isTruncated })
        #expect(decoded.map(\.packet.timestamp) == decoded.map(\.packet.timestamp).sorted(), "in time order")
        #expect(decoded.last?.packet.timestamp == CaptureTimestamp(seconds: 1_795_551_828, microseconds: 794_776))
        // Microsecond files read back with whole microseconds.
        #expect(decoded.allSatisfy { $0.packet.timestamp.nanoseconds % 1000 == 0 })

        let byType = Dictionary(grouping: decoded, by: { $0.frame.etherType })
        #expect(byType[.ipv4]?.count == 126)
        #expect(byType[.arp]?.count == 10)
        #expect(byType[.reverseARP]?.count == 5)
        #expect(byType[.ipv6]?.count == ipv6)
        #expect(byType.count == 4)
        // IPv4 is all ICMP echo (63 requests from the gateway, 63 replies), no UDP.
        let ipv4 = decoded.compactMap(\.frame.ipv4)
        #expect(ipv4.allSatisfy { $0.protocolNumber == .icmp && $0.hasValidHeaderChecksum })
        #expect(ipv4.filter { $0.source == CaptureTestSupport.gatewayIPv4 }.count == 63)
        #expect(ipv4.filter { $0.source == CaptureTestSupport.vmIPv4 }.count == 63)
    }

    @Test(arguments: [bridge, tap])
    func fiveSelfAnnouncesFromTheVM(name: String) throws {
        let (_, decoded) = try Self.load(name)
        let announces = decoded.filter { $0.frame.announcedMAC != nil }
        #expect(announces.count == 5)
        #expect(decoded.filter { $0.frame.etherType == .reverseARP }.count == announces.count)
        let expectedFrame = FrameBuilder.selfAnnounce(mac: CaptureTestSupport.vmMAC)
        for announce in announces {
            #expect(announce.frame.announcedMAC == CaptureTestSupport.vmMAC)
            #expect(announce.frame.destinationMAC == .broadcast)
            #expect(announce.packet.bytes == expectedFrame, "QEMU's 60-octet layout, byte for byte")
            #expect(announce.packet.originalLength == 60)
        }
        #expect(announces.map(\.packet.timestamp) == Self.announceTimes)
    }

    /// QEMU's schedule: about 0, 50, 200, 450 and 800 ms after the first announce
    /// (announce-initial 50 ms, step 100 ms).
    @Test func announceSpacingFollowsQEMUsSchedule() throws {
        let (_, decoded) = try Self.load(Self.bridge)
        let times = decoded.filter { $0.frame.announcedMAC != nil }.map(\.packet.timestamp)
        let offsets = times.map { ($0 - times[0]) / .milliseconds(1) }
        for (offset, expected) in zip(offsets, [0.0, 50, 200, 450, 800]) {
            #expect(abs(offset - expected) < 5, "announce at \(offset) ms, expected about \(expected) ms")
        }
        let gaps = zip(times.dropFirst(), times).map { ($0 - $1) / .milliseconds(1) }
        for (gap, expected) in zip(gaps, [50.0, 150, 250, 350]) {
            #expect(abs(gap - expected) < 5, "gap \(gap) ms, expected about \(expected) ms")
        }
    }

    /// After each announce the guest sends one gratuitous ARP for 10.10.0.50, before
    /// the next announce (here 29-36 ms later).
    @Test(arguments: [bridge, tap])
    func guestGratuitousARPFollowsEachAnnounce(name: String) throws {
        let (_, decoded) = try Self.load(name)
        let gratuitous = decoded.filter { $0.frame.arp?.isGratuitous == true }
        #expect(gratuitous.count == 5)
        for entry in gratuitous {
            let arp = try #require(entry.frame.arp)
            #expect(arp.operation == .request)
            #expect(arp.senderMAC == CaptureTestSupport.vmMAC)
            #expect(arp.senderIPv4 == CaptureTestSupport.vmIPv4)
            #expect(arp.targetIPv4 == CaptureTestSupport.vmIPv4)
            #expect(arp.targetMAC == .zero)
            #expect(entry.frame.sourceMAC == CaptureTestSupport.vmMAC)
            #expect(entry.frame.destinationMAC == .broadcast)
            #expect(entry.packet.bytes.count == 42, "the guest's ARPs are not padded on the tap or the bridge")
        }
        let announces = Self.announceTimes
        for (index, entry) in gratuitous.enumerated() {
            let delay = (entry.packet.timestamp - announces[index]) / .milliseconds(1)
            #expect(delay > 20 && delay < 45, "gratuitous ARP \(index) came \(delay) ms after its announce")
            if index + 1 < announces.count {
                #expect(entry.packet.timestamp < announces[index + 1])
            }
        }
    }

    /// The gateway asked for the VM twice before it ran here; the VM answered three
    /// times once it did.
    @Test(arguments: [bridge, tap])
    func arpBeforeAndAfterTheMove(name: String) throws {
        let (_, decoded) = try Self.load(name)
        let firstAnnounce = Self.announceTimes[0]
        let requests = decoded.filter {
            $0.frame.arp?.operation == .request && $0.frame.arp?.isGratuitous == false
        }
        #expect(requests.count == 2)
        for request in requests {
            #expect(request.frame.sourceMAC == CaptureTestSupport.bridgeMAC)
            #expect(request.frame.arp?.senderIPv4 == CaptureTestSupport.gatewayIPv4)
            #expect(request.frame.arp?.targetIPv4 == CaptureTestSupport.vmIPv4)
            #expect(request.packet.timestamp < firstAnnounce)
        }
        let replies = decoded.filter { $0.frame.arp?.operation == .reply }
        #expect(replies.count == 3)
        for reply in replies {
            #expect(reply.frame.arp == .reply(senderMAC: CaptureTestSupport.vmMAC, senderIPv4: CaptureTestSupport.vmIPv4,
                                              targetMAC: CaptureTestSupport.bridgeMAC,
                                              targetIPv4: CaptureTestSupport.gatewayIPv4))
            #expect(reply.packet.timestamp > firstAnnounce)
        }
    }

    /// The VM's first echo reply comes about 18 ms after the first announce: the
    /// interruption seen from the destination.
    @Test func firstReplyAfterTheAnnounce() throws {
        let (_, decoded) = try Self.load(Self.bridge)
        let firstReply = try #require(decoded.first { $0.frame.ipv4?.source == CaptureTestSupport.vmIPv4 })
        let delay = (firstReply.packet.timestamp - Self.announceTimes[0]) / .milliseconds(1)
        #expect(delay > 0 && delay < 30)
        #expect(firstReply.frame.sourceMAC == CaptureTestSupport.vmMAC)
    }
}
