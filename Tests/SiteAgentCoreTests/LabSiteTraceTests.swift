import Foundation
import GLMWire
import NIOCore
import PacketCapture
import SiteAgentCore
import Testing

/// Site A's own recording from the lab (`Tests/Fixtures/lab/site-a.pcap`: the VM arriving
/// from home with QEMU's announces and its guest's ARP on the bridge, the signaling on the
/// WAN side, the VM leaving for site B), replayed through a fresh core configured as the
/// lab's site agent was: it must send what the real one sent — one registration for the
/// five announces, then the BRA for the home agent's BRI — and serve, then stop serving.
@Suite("The lab's recorded arrival and departure, replayed through the site agent's core")
struct LabSiteTraceTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lab")
    static let site = IPv4Address(198, 18, 1, 2)
    static let home = IPv4Address(198, 18, 0, 2)
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)

    static func association() throws -> SecurityAssociation {
        let text = try String(contentsOf: folder.appendingPathComponent("signaling.keys"), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("256 ") })
        let key = try #require([UInt8](hexString: line.split(separator: " ")[2]))
        return try #require(SecurityAssociation(spi: 256, key: key))
    }

    /// The message's type, sequence number and options other than the Timestamp (which
    /// the core takes from the time it is given, the daemon from its clock).
    static func shape(_ bytes: ByteBuffer) throws -> String {
        let header = try MobilityHeader(decoding: bytes)
        switch header.message {
        case .proxyBindingUpdate(let m):
            return "PBU \(m.sequenceNumber) \(m.lifetimeUnits) \(m.options.filter { if case .timestamp = $0 { false } else { true } })"
        case .bindingRevocationAcknowledgement(let m):
            return "BRA \(m.sequenceNumber) \(m.status)"
        default:
            return "\(header.message)"
        }
    }

    @Test("one registration for QEMU's announces, served on the PBA, torn down and acknowledged on the BRI")
    func replaySiteTrace() throws {
        var timers = SiteAgentTimers()
        timers.expectedRoundTrip = 0.006
        let policy = try SiteAgentPolicy(address: Self.site, homeAgents: [
            HomeAgentPeer(name: "home", address: Self.home, association: try Self.association(), vms: [Self.vm])], timers: timers)
        let reader = try PcapFileReader(path: Self.folder.appendingPathComponent("site-a.pcap").path)
        var core: SiteAgentCore?
        var expected: [String] = []
        var sent: [String] = []
        var dataPlane: [String] = []
        var lastAnnounce = -1.0
        func take(_ actions: [SiteAgentAction]) throws {
            for action in actions {
                switch action {
                case .send(let bytes, let to, _):
                    #expect(to == Self.home)
                    sent.append(try Self.shape(bytes))
                case .serve(let vm): dataPlane.append("serve \(vm.address)/\(vm.prefixLength) via \(vm.gateway)")
                case .unserve: dataPlane.append("unserve")
                case .answerARP, .claim: break
                case .notice: break
                }
            }
        }
        while let packet = try reader.next() {
            let time = packet.timestamp.timeIntervalSince1970
            if core == nil { core = SiteAgentCore(policy: policy, now: time) }
            while let deadline = core!.nextDeadline, deadline <= time { try take(core!.handle(.timer, at: deadline)) }
            let frame = try LinkLayerPacket(linkType: reader.linkType, frame: packet.bytes)
            if frame.announcedMAC != nil {
                guard time - lastAnnounce > 0.0005 else { continue }  // the tap's frame again, on the bridge
                lastAnnounce = time
                // The capture is Linux cooked (`tcpdump -i any`); the bridge hands the agent Ethernet.
                let arp = try #require(frame.arp)
                let ethernet = FrameBuilder.ethernet(arp, destination: .broadcast, source: try #require(frame.sourceMAC), padded: true)
                try take(core!.handle(.frame(ethernet, bridge: "br0"), at: time))
            } else if let ip = frame.ipv4, let udp = frame.udp, udp.sourcePort == 5436 || udp.destinationPort == 5436 {
                let bytes = ByteBuffer(bytes: udp.payload)
                if ip.destination == Self.site {
                    try take(core!.handle(.datagram(bytes, from: ip.source, port: udp.sourcePort), at: time))
                } else if ip.source == Self.site {
                    expected.append(try Self.shape(bytes))
                }
            }
        }
        #expect(expected.count == 2, "the recording holds one PBU and one BRA: \(expected)")
        #expect(sent == expected)
        #expect(dataPlane == ["serve 10.10.0.50/24 via 10.10.0.1", "unserve"], "\(dataPlane)")
        #expect(core?.states.isEmpty == true)
    }
}
