import Foundation
import GLMWire
import PacketCapture
import Testing

/// Live capture on a veth pair made for the test: frames injected on one end are
/// captured on the other. Needs root (CAP_NET_ADMIN and CAP_NET_RAW).
@Suite("PacketCapture: live capture on a veth pair", .serialized)
struct LiveCaptureTests {
    static let unrelatedType = EtherType(rawValue: 0x88b5)  // IEEE local experimental

    static func requireRoot() throws {
        if geteuid() != 0 {
            try CaptureTestSupport.skipOrFail("live capture needs root (a veth pair and a raw socket)")
        }
    }

    static func unrelatedFrame(_ marker: UInt8) -> [UInt8] {
        EthernetFrame(destination: .broadcast, source: CaptureTestSupport.bridgeMAC, etherType: unrelatedType,
                      payload: [UInt8](repeating: marker, count: 46)).serialized()
    }

    @Test func filterDeliversOnlyTheRARPAnnounce() throws {
        try Self.requireRoot()
        let pair = try VethPair.create()
        defer { pair.remove() }

        let capture = try LiveCapture(interface: pair.first,
                                      configuration: .init(snapshotLength: 2048, promiscuous: true))
        defer { capture.close() }
        #expect(capture.linkType == .ethernet)
        #expect(capture.snapshotLength == 2048)
        #expect(capture.selectableFileDescriptor >= 0)
        try capture.setFilter("ether proto 0x8035")

        let sender = try LiveCapture(interface: pair.second)
        defer { sender.close() }
        let announce = FrameBuilder.selfAnnounce(mac: CaptureTestSupport.vmMAC)
        try sender.inject(Self.unrelatedFrame(1))
        try sender.inject(FrameBuilder.gratuitousARP(mac: CaptureTestSupport.vmMAC, ipv4: CaptureTestSupport.vmIPv4,
                                                     padded: true))
        try sender.inject(announce)
        try sender.inject(Self.unrelatedFrame(2))

        let first = try #require(try capture.next(timeout: .seconds(5)), "the announce never arrived")
        #expect(first.bytes == announce)
        #expect(first.originalLength == 60)
        let decoded = try LinkLayerPacket(linkType: capture.linkType, frame: first.bytes)
        #expect(decoded.announcedMAC == CaptureTestSupport.vmMAC)
        let now = Date().timeIntervalSince1970
        #expect(abs(first.timestamp.timeIntervalSince1970 - now) < 10, "timestamps are wall-clock time")

        #expect(try capture.next(timeout: .milliseconds(300)) == nil, "nothing else passes the filter")
        #expect(try capture.next(timeout: .zero) == nil)
        let statistics = try capture.statistics()
        #expect(statistics.received >= 1)
        #expect(statistics.droppedByKernel == 0)
    }

    @Test func unfilteredCaptureSeesEveryFrameInOrder() throws {
        try Self.requireRoot()
        let pair = try VethPair.create()
        defer { pair.remove() }

        let capture = try LiveCapture(interface: pair.first, configuration: .init(direction: .incoming))
        defer { capture.close() }
        // Only our own EtherTypes, so nothing the kernel might send gets in the way.
        try capture.setFilter("ether proto 0x88b5 or ether proto 0x8035 or arp")
        let sender = try LiveCapture(interface: pair.second)
        defer { sender.close() }
        let frames = [Self.unrelatedFrame(7),
                      FrameBuilder.selfAnnounce(mac: CaptureTestSupport.vmMAC),
                      FrameBuilder.gratuitousARP(mac: CaptureTestSupport.vmMAC, ipv4: CaptureTestSupport.vmIPv4)]
        for frame in frames {
            try sender.inject(frame)
        }
        var received: [CapturedPacket] = []
        while received.count < frames.count, let packet = try capture.next(timeout: .seconds(5)) {
            received.append(packet)
        }
        #expect(received.map(\.bytes) == frames)
        #expect(received.map(\.timestamp) == received.map(\.timestamp).sorted())
    }

    /// On the `any` device libpcap gives Linux cooked frames; the announce decodes the same.
    @Test func anyDeviceGivesLinuxCookedFrames() throws {
        try Self.requireRoot()
        let pair = try VethPair.create()
        defer { pair.remove() }

        let capture = try LiveCapture(interface: "any")
        defer { capture.close() }
        #expect(capture.linkType == .linuxCooked || capture.linkType == .linuxCookedV2)
        try capture.setFilter("ether proto 0x8035")
        // A MAC of this test's own, so announces from anything else on the host are told apart.
        let mac = MACAddress(0x52, 0x54, 0x00, 0x7e, UInt8(truncatingIfNeeded: getpid() >> 8),
                             UInt8(truncatingIfNeeded: getpid()))
        let sender = try LiveCapture(interface: pair.second)
        defer { sender.close() }
        try sender.inject(FrameBuilder.selfAnnounce(mac: mac))

        // The frame leaves one end (outgoing) and arrives at the other (broadcast).
        var seen: [LinuxCookedHeader.PacketType] = []
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        while seen.count < 2, clock.now < deadline, let packet = try capture.next(timeout: deadline - clock.now) {
            let decoded = try LinkLayerPacket(linkType: capture.linkType, frame: packet.bytes)
            guard decoded.announcedMAC == mac, case .linuxCooked(let header) = decoded.link else { continue }
            #expect(decoded.sourceMAC == mac)
            #expect(header.hardwareType == LinuxCookedHeader.ethernetHardwareType)
            #expect(Array(header.payload.prefix(ARPPacket.length)) == ARPPacket.selfAnnounce(mac: mac).serialized())
            seen.append(header.packetType)
        }
        #expect(Set(seen) == [.outgoing, .broadcast])
    }

    @Test func errorsCarryLibpcapsText() throws {
        try Self.requireRoot()
        let noDevice = #expect(throws: CaptureError.self) {
            _ = try LiveCapture(interface: "glmt-absent0")
        }
        #expect(noDevice?.code == .activate)
        #expect(noDevice?.message.isEmpty == false)
        #expect(noDevice?.status != nil)

        let pair = try VethPair.create()
        defer { pair.remove() }
        let capture = try LiveCapture(interface: pair.first)
        let badFilter = #expect(throws: CaptureError.self) { try capture.setFilter("ether proto nonsense(") }
        #expect(badFilter?.code == .filter)
        #expect(badFilter?.message.contains("unknown ether proto") == true, "\(String(describing: badFilter))")
        capture.close()
        capture.close()
        let closed = #expect(throws: CaptureError.self) { _ = try capture.next(timeout: .zero) }
        #expect(closed?.code == .closed)
    }
}
