import GLMWire
import HomeAgentCore
import NIOCore
import SiteAgentCore

/// Two sites, each the home of one VM and a host for the other's: home agents A and B,
/// hypervisors A1, A2, B1, B2. Each site agent knows both home agents and which is its
/// own, and no VM; each home agent knows the two sites by prefix and its own VM. What one
/// core sends, the core at its destination receives, until nothing is in flight.
struct FederationHarness {
    static let homeAgentA = IPv4Address(198, 18, 1, 2)
    static let homeAgentB = IPv4Address(198, 18, 2, 2)
    static let a1 = IPv4Address(198, 18, 1, 11)
    static let a2 = IPv4Address(198, 18, 1, 12)
    static let b1 = IPv4Address(198, 18, 2, 11)
    static let b2 = IPv4Address(198, 18, 2, 12)
    static let vmA = MACAddress(0x52, 0x54, 0x00, 0xaa, 0x00, 0x01)
    static let vmB = MACAddress(0x52, 0x54, 0x00, 0xbb, 0x00, 0x01)
    static let start = 1_795_000_000.0

    /// One association per (home agent, site): every hypervisor of a site shares it.
    static func key(_ spi: UInt32) -> SecurityAssociation {
        SecurityAssociation(spi: spi, key: Array(repeating: UInt8(truncatingIfNeeded: spi), count: 32))!
    }
    static let aWithA = key(0x1aa), aWithB = key(0x1ab), bWithA = key(0x1ba), bWithB = key(0x1bb)

    static let vmAPolicy = VMPolicy(mac: vmA, address: IPv4Address(10, 1, 0, 50), prefixLength: 24, gateway: IPv4Address(10, 1, 0, 1))
    static let vmBPolicy = VMPolicy(mac: vmB, address: IPv4Address(10, 2, 0, 50), prefixLength: 24, gateway: IPv4Address(10, 2, 0, 1))

    static func homeAgentPolicy(_ site: Character, vms: [VMPolicy], siteBKey: SecurityAssociation? = nil) -> HomeAgentPolicy {
        let siteA = SitePolicy(name: "site-a", hosts: [IPv4Prefix(address: a1, length: 24)],
                               association: site == "a" ? aWithA : bWithA, isHome: site == "a")
        let siteB = SitePolicy(name: "site-b", hosts: [IPv4Prefix(address: b1, length: 24)],
                               association: siteBKey ?? (site == "a" ? aWithB : bWithB), isHome: site == "b")
        return try! HomeAgentPolicy(address: site == "a" ? homeAgentA : homeAgentB, sites: [siteA, siteB], vms: vms)
    }

    static func sitePolicy(_ address: IPv4Address, timers: SiteAgentTimers = SiteAgentTimers()) -> SiteAgentPolicy {
        let atA = address == a1 || address == a2
        return try! SiteAgentPolicy(address: address, homeAgents: [
            HomeAgentPeer(name: "ha-a", address: homeAgentA, association: atA ? aWithA : aWithB),
            HomeAgentPeer(name: "ha-b", address: homeAgentB, association: atA ? bWithA : bWithB),
        ], localHomeAgent: atA ? "ha-a" : "ha-b", timers: timers)
    }

    var homes: [IPv4Address: HomeAgentCore]
    var sites: [IPv4Address: SiteAgentCore]

    init(timers: SiteAgentTimers = SiteAgentTimers()) {
        homes = [Self.homeAgentA: HomeAgentCore(policy: Self.homeAgentPolicy("a", vms: [Self.vmAPolicy]), restartCounter: 1),
                 Self.homeAgentB: HomeAgentCore(policy: Self.homeAgentPolicy("b", vms: [Self.vmBPolicy]), restartCounter: 1)]
        sites = Dictionary(uniqueKeysWithValues: [Self.a1, Self.a2, Self.b1, Self.b2].map {
            ($0, SiteAgentCore(policy: Self.sitePolicy($0, timers: timers), now: Self.start))
        })
    }

    /// Everything the cores did, by who did it.
    struct Trace {
        var home: [IPv4Address: [HomeAgentAction]] = [:]
        var site: [IPv4Address: [SiteAgentAction]] = [:]
        /// Datagrams that crossed the wire, as (from, to).
        var wire: [(IPv4Address, IPv4Address)] = []
    }

    /// Hands `event` to the site agent at `site` and carries every datagram to its
    /// destination until none is left.
    mutating func site(_ site: IPv4Address, _ event: SiteAgentEvent, at time: Double) -> Trace {
        let actions = sites[site]!.handle(event, at: time)
        var trace = Trace()
        trace.site[site, default: []] += actions
        carry(actions.datagrams.map { (site, $0.to, $0.bytes, $0.port) }, into: &trace, at: time)
        return trace
    }

    /// Hands `event` to the home agent at `home`, and carries what follows.
    mutating func home(_ home: IPv4Address, _ event: HomeAgentEvent, at time: Double) -> Trace {
        let actions = homes[home]!.handle(event, at: time)
        var trace = Trace()
        trace.home[home, default: []] += actions
        carry(actions.datagrams.map { (home, $0.to, $0.bytes, $0.port) }, into: &trace, at: time)
        return trace
    }

    /// Carries the given datagrams and what their receivers send in turn.
    mutating func carry(_ datagrams: [(IPv4Address, IPv4Address, ByteBuffer, UInt16)], into trace: inout Trace, at time: Double) {
        var inFlight = datagrams
        while !inFlight.isEmpty {
            let (from, to, bytes, _) = inFlight.removeFirst()
            trace.wire.append((from, to))
            if homes[to] != nil {
                let answers = homes[to]!.handle(.datagram(bytes, from: from, port: 5436, to: to), at: time)
                trace.home[to, default: []] += answers
                inFlight += answers.datagrams.map { (to, $0.to, $0.bytes, $0.port) }
            } else if sites[to] != nil {
                let answers = sites[to]!.handle(.datagram(bytes, from: from, port: 5436), at: time)
                trace.site[to, default: []] += answers
                inFlight += answers.datagrams.map { (to, $0.to, $0.bytes, $0.port) }
            }
        }
    }
}

extension Array where Element == SiteAgentAction {
    var datagrams: [(bytes: ByteBuffer, to: IPv4Address, port: UInt16)] {
        compactMap { if case .send(let bytes, let to, let port) = $0 { (bytes, to, port) } else { nil } }
    }
}

extension Array where Element == HomeAgentAction {
    var datagrams: [(bytes: ByteBuffer, to: IPv4Address, port: UInt16)] {
        compactMap { if case .send(let bytes, let to, let port) = $0 { (bytes, to, port) } else { nil } }
    }
}
