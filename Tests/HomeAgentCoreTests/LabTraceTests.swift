import Foundation
import GLMWire
import HomeAgentCore
import NIOCore
import PacketCapture
import Testing

/// The lab's own recording of a migration home → site A → site B → home (`make demo`
/// with `--sites 2 --route home,a,b,home`, 3 ms one way), replayed through a fresh core
/// configured as the lab's home agent was: every PBU and announce it received, at its
/// captured time, must make the core send what the real home agent sent — the same
/// messages, statuses, sequence numbers and authenticators — and move the data plane
/// home → A → B → home. The fixtures and how they were made: `Tests/Fixtures/lab/README.md`.
@Suite("The lab's recorded migrations, replayed through the home agent's core")
struct LabTraceTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/lab")
    static let home = IPv4Address(198, 18, 0, 2)
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)

    /// `SPI ALGORITHM HEX` lines, as `glmctl decode --keys` reads them.
    static func associations() throws -> [UInt32: SecurityAssociation] {
        let text = try String(contentsOf: folder.appendingPathComponent("signaling.keys"), encoding: .utf8)
        var associations: [UInt32: SecurityAssociation] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let spi = UInt32(fields[0]), let key = [UInt8](hexString: fields[2]) else { continue }
            associations[spi] = SecurityAssociation(spi: spi, key: key)
        }
        return associations
    }

    static func policy() throws -> HomeAgentPolicy {
        let keys = try associations()
        return try HomeAgentPolicy(address: home, sites: [
            SitePolicy(name: "site-a", address: IPv4Address(198, 18, 1, 2), association: try #require(keys[256])),
            SitePolicy(name: "site-b", address: IPv4Address(198, 18, 2, 2), association: try #require(keys[257])),
        ], vms: [VMPolicy(mac: vm, address: IPv4Address(10, 10, 0, 50), prefixLength: 24, gateway: IPv4Address(10, 10, 0, 1))])
    }

    /// A message with its Timestamp option taken out, and that Timestamp: compared apart,
    /// so that a difference says which part differs.
    static func normalized(_ bytes: ByteBuffer) throws -> (message: MobilityMessage, timestamp: Double?, authenticated: Bool) {
        let header = try MobilityHeader(decoding: bytes)
        var message = header.message
        let timestamp = message.options.timestamp.map(\.secondsSince1970)
        message.removeTimestamp()
        return (message, timestamp, header.authentication != nil)
    }

    @Test("the core answers the recorded updates and announce exactly as the lab's home agent did")
    func replayHomeTrace() throws {
        var core = HomeAgentCore(policy: try Self.policy(), restartCounter: 1)
        let reader = try PcapFileReader(path: Self.folder.appendingPathComponent("home.pcap").path)
        var expected: [(to: IPv4Address, bytes: ByteBuffer)] = []
        var sent: [(to: IPv4Address, bytes: ByteBuffer)] = []
        var dataPlane: [String] = []
        var lastAnnounce = -1.0
        func take(_ actions: [HomeAgentAction]) {
            for action in actions {
                switch action {
                case .send(let bytes, let to, _): sent.append((to, bytes))
                case .attach(let away): dataPlane.append("attach \(away.siteAddress)")
                case .move(let away): dataPlane.append("move \(away.siteAddress)")
                case .detach: dataPlane.append("detach")
                default: break
                }
            }
        }
        while let packet = try reader.next() {
            let time = packet.timestamp.timeIntervalSince1970
            while let deadline = core.nextDeadline, deadline <= time { take(core.handle(.timer, at: deadline)) }
            let frame = try LinkLayerPacket(linkType: reader.linkType, frame: packet.bytes)
            if let mac = frame.announcedMAC {
                // The same announce on the tap and the bridge; QEMU's five are one arrival.
                guard time - lastAnnounce > 0.0005 else { continue }
                lastAnnounce = time
                take(core.handle(.vmAnnouncedAtHome(mac), at: time))
            } else if let ip = frame.ipv4, let udp = frame.udp, udp.sourcePort == 5436 || udp.destinationPort == 5436 {
                let bytes = ByteBuffer(bytes: udp.payload)
                if ip.destination == Self.home {
                    take(core.handle(.datagram(bytes, from: ip.source, port: udp.sourcePort, to: Self.home), at: time))
                } else if ip.source == Self.home {
                    expected.append((ip.destination, bytes))
                }
            }
        }
        #expect(expected.count == 4, "the recording holds the handoffs: PBA; PBA and BRI to site A; BRI to site B")
        #expect(sent.count == expected.count, "sent \(sent.count), recorded \(expected.count)")
        for (mine, theirs) in zip(sent, expected) {
            #expect(mine.to == theirs.to)
            let a = try Self.normalized(mine.bytes), b = try Self.normalized(theirs.bytes)
            #expect(a.message == b.message, "\(a.message) vs \(b.message)")
            #expect(a.authenticated && b.authenticated)
            #expect(a.timestamp == b.timestamp, "the Timestamp echoes the update's, not a clock")
            #expect(mine.bytes == theirs.bytes, "octet for octet, authenticator included")
        }
        #expect(dataPlane == ["attach 198.18.1.2", "move 198.18.2.2", "detach"], "\(dataPlane)")
        #expect(core.bindings.isEmpty, "home again: no binding")
    }
}

extension MobilityMessage {
    /// Drops the Timestamp option.
    mutating func removeTimestamp() {
        switch self {
        case .proxyBindingUpdate(var m): m.options.removeAll { if case .timestamp = $0 { true } else { false } }; self = .proxyBindingUpdate(m)
        case .proxyBindingAcknowledgement(var m): m.options.removeAll { if case .timestamp = $0 { true } else { false } }; self = .proxyBindingAcknowledgement(m)
        case .bindingRevocationIndication(var m): m.options.removeAll { if case .timestamp = $0 { true } else { false } }; self = .bindingRevocationIndication(m)
        case .bindingRevocationAcknowledgement(var m): m.options.removeAll { if case .timestamp = $0 { true } else { false } }; self = .bindingRevocationAcknowledgement(m)
        case .heartbeat: break
        }
    }
}
