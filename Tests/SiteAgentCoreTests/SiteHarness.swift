import Foundation
import GLMWire
import HomeAgentCore
import NIOCore
import PacketCapture
import SiteAgentCore
import Testing

/// A site agent core, the home agent core it registers with, and a wire between them:
/// what one sends, the other receives, at the time the test says.
struct SiteHarness {
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let home = IPv4Address(198, 18, 0, 2)
    static let siteA = IPv4Address(198, 18, 1, 2)
    static let siteB = IPv4Address(198, 18, 2, 2)
    static let keyA = SecurityAssociation(spi: 0x101, key: Array(repeating: 0xa1, count: 32))!
    static let keyB = SecurityAssociation(spi: 0x102, key: Array(repeating: 0xb2, count: 32))!
    static let start = 1_795_000_000.0

    /// The real QEMU migration capture of the destination bridge (VM 52:54:00:12:34:56).
    static var qemuCapture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PacketCaptureTests/Fixtures/qemu-migration-destination-bridge.pcap").path
    }

    static func sitePolicy(_ address: IPv4Address, _ key: SecurityAssociation, timers: SiteAgentTimers = SiteAgentTimers()) -> SiteAgentPolicy {
        try! SiteAgentPolicy(address: address, homeAgents: [
            HomeAgentPeer(name: "home-1", address: home, association: key, vms: [vm])], timers: timers)
    }

    var home: HomeAgentCore
    var a: SiteAgentCore
    var b: SiteAgentCore

    init(timers: SiteAgentTimers = SiteAgentTimers(), restartCounter: UInt32 = 1) {
        home = HomeAgentCore(policy: try! HomeAgentPolicy(address: Self.home, sites: [
            SitePolicy(name: "site-a", address: Self.siteA, association: Self.keyA),
            SitePolicy(name: "site-b", address: Self.siteB, association: Self.keyB),
        ], vms: [VMPolicy(mac: Self.vm, address: IPv4Address(10, 10, 0, 50), prefixLength: 24, gateway: IPv4Address(10, 10, 0, 1))]),
                             restartCounter: restartCounter)
        a = SiteAgentCore(policy: Self.sitePolicy(Self.siteA, Self.keyA, timers: timers), now: Self.start)
        b = SiteAgentCore(policy: Self.sitePolicy(Self.siteB, Self.keyB, timers: timers), now: Self.start)
    }

    /// Delivers what a site sent to the home agent, and the home agent's answers back to
    /// the sites, until nothing is left in flight; returns every action, tagged.
    mutating func deliver(_ actions: [SiteAgentAction], from site: IPv4Address, at time: Double) -> (home: [HomeAgentAction], sites: [SiteAgentAction]) {
        var homeActions: [HomeAgentAction] = []
        var siteActions: [SiteAgentAction] = []
        var toHome: [(ByteBuffer, IPv4Address)] = actions.compactMap { if case .send(let bytes, _, _) = $0 { (bytes, site) } else { nil } }
        while !toHome.isEmpty {
            let (bytes, from) = toHome.removeFirst()
            let answers = home.handle(.datagram(bytes, from: from, port: 5436, to: Self.home), at: time)
            homeActions += answers
            for case .send(let reply, let to, let port) in answers {
                let siteAnswers: [SiteAgentAction]
                if to == Self.siteA { siteAnswers = a.handle(.datagram(reply, from: Self.home, port: port), at: time) }
                else { siteAnswers = b.handle(.datagram(reply, from: Self.home, port: port), at: time) }
                siteActions += siteAnswers
                toHome += siteAnswers.compactMap { if case .send(let bytes, _, _) = $0 { (bytes, to) } else { nil } }
            }
        }
        return (homeActions, siteActions)
    }
}

extension Array where Element == SiteAgentAction {
    var updates: [ProxyBindingUpdate] {
        compactMap { action in
            guard case .send(let bytes, _, _) = action, let header = try? MobilityHeader(decoding: bytes),
                  case .proxyBindingUpdate(let pbu) = header.message else { return nil }
            return pbu
        }
    }
    var served: [ServedVM] { compactMap { if case .serve(let vm) = $0 { vm } else { nil } } }
    var unserved: [ServedVM] { compactMap { if case .unserve(let vm) = $0 { vm } else { nil } } }
}
