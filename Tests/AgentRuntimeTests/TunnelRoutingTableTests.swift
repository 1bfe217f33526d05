import AgentRuntime
import GLMWire
import Testing

/// The two decisions of the routing table, without sockets: where a packet from the
/// TUN goes, and whether a decapsulated packet may enter.
@Suite("Tunnel routing table")
struct TunnelRoutingTableTests {
    static let vm = IPv4Address(10, 10, 0, 50)
    static let correspondent = IPv4Address(10, 10, 0, 9)
    static let siteA = IPv4Address(198, 18, 1, 2)
    static let siteB = IPv4Address(198, 18, 2, 2)
    static let home = IPv4Address(198, 18, 0, 2)
    static let stranger = IPv4Address(198, 18, 0, 99)

    @Test func hostRouteSendsByDestinationAndAdmitsOnlyItsPeer() {
        let table = TunnelRoutingTable([TunnelRoute(address: Self.vm, peer: Self.siteA)])
        #expect(table.outboundRoute(source: Self.correspondent, destination: Self.vm)?.peer == Self.siteA)
        #expect(table.outboundRoute(source: Self.vm, destination: Self.correspondent) == nil)

        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteA)
            == .admitted(TunnelRoute(address: Self.vm, peer: Self.siteA)))
        // The VM's address from anyone else is spoofed; another inner source has no route.
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.stranger)
            == .refused(.spoofed))
        #expect(table.admit(source: IPv4Address(10, 10, 0, 77), destination: Self.correspondent, key: nil, from: Self.siteA)
            == .refused(.noRoute))
    }

    @Test("a retired route admits its old peer's packets for a while and sends nothing by it")
    func retiredRouteAdmitsTheOldSite() {
        let old = TunnelRoute(address: Self.vm, peer: Self.siteA)
        var table = TunnelRoutingTable([old])
        table.insert(TunnelRoute(address: Self.vm, peer: Self.siteB))
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteA) == .refused(.spoofed))
        table.retire(old)
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteA) == .admitted(old))
        #expect(table.outboundRoute(source: Self.correspondent, destination: Self.vm)?.peer == Self.siteB, "sent by the new route only")
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.stranger) == .refused(.spoofed))
        // Only the retired prefix: other inner sources from the old site have no route.
        #expect(table.admit(source: IPv4Address(10, 10, 0, 77), destination: Self.correspondent, key: nil, from: Self.siteA)
            == .refused(.noRoute))

        // A later retirement for the prefix is not ended by the earlier one's expiry.
        let later = TunnelRoute(address: Self.vm, peer: Self.siteB)
        table.remove(Self.vm)
        table.retire(later)
        table.forget(retired: old)
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteB) == .admitted(later))
        table.forget(retired: later)
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteB) == .refused(.noRoute))
    }

    @Test("a prepared site gets a copy of the downlink and may send from the VM's address")
    func preparedSiteIsBicast() {
        let current = TunnelRoute(address: Self.vm, peer: Self.siteA)
        let prepared = TunnelRoute(address: Self.vm, peer: Self.siteB)
        var table = TunnelRoutingTable([current])
        #expect(table.bicastRoute(destination: Self.vm, besides: current) == nil)
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteB) == .refused(.spoofed))
        table.prepare(prepared)
        #expect(table.outboundRoute(source: Self.correspondent, destination: Self.vm) == current)
        #expect(table.bicastRoute(destination: Self.vm, besides: current) == prepared)
        #expect(table.bicastRoute(destination: Self.correspondent, besides: current) == nil)
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteB) == .admitted(prepared))
        // Once the binding is there, no second copy to the same peer.
        table.insert(prepared)
        #expect(table.bicastRoute(destination: Self.vm, besides: prepared) == nil)
        // Only the preparing peer's withdrawal ends it.
        table.unprepare(TunnelRoute(address: Self.vm, peer: Self.siteA))
        #expect(table.bicastRoute(destination: Self.vm, besides: current) == prepared)
        table.unprepare(prepared)
        #expect(table.bicastRoute(destination: Self.vm, besides: current) == nil)
    }

    @Test func greKeyMustMatchOnReceipt() {
        let table = TunnelRoutingTable([TunnelRoute(address: Self.vm, peer: Self.siteA, framing: .tlvGRE(key: 7))])
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: 7, from: Self.siteA) != .refused(.keyMismatch))
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: 8, from: Self.siteA) == .refused(.keyMismatch))
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteA) == .refused(.keyMismatch))
        // A stranger with the right key is still a stranger.
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: 7, from: Self.stranger) == .refused(.spoofed))

        // Without a key, bare and TLV framing are both accepted; a keyed frame is not.
        let plain = TunnelRoutingTable([TunnelRoute(address: Self.vm, peer: Self.siteA, framing: .tlv)])
        #expect(plain.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteA)
            == .admitted(TunnelRoute(address: Self.vm, peer: Self.siteA, framing: .tlv)))
        #expect(plain.admit(source: Self.vm, destination: Self.correspondent, key: 3, from: Self.siteA) == .refused(.keyMismatch))
    }

    @Test func longestPrefixWins() {
        let table = TunnelRoutingTable([
            TunnelRoute(address: IPv4Address(10, 10, 0, 0), prefixLength: 24, peer: Self.home),
            TunnelRoute(address: Self.correspondent, peer: Self.siteB),
            TunnelRoute(address: .any, prefixLength: 0, peer: Self.stranger),
        ])
        #expect(table.outboundRoute(source: Self.vm, destination: Self.correspondent)?.peer == Self.siteB)
        #expect(table.outboundRoute(source: Self.vm, destination: IPv4Address(10, 10, 0, 1))?.peer == Self.home)
        #expect(table.outboundRoute(source: Self.vm, destination: IPv4Address(192, 0, 2, 1))?.peer == Self.stranger)
        // The most specific route decides admission too: the /24's peer may not speak for .9.
        #expect(table.admit(source: Self.correspondent, destination: Self.vm, key: nil, from: Self.home) == .refused(.spoofed))
        #expect(table.admit(source: IPv4Address(10, 10, 0, 1), destination: Self.vm, key: nil, from: Self.home)
            != .refused(.spoofed))
    }

    @Test func anchoredRouteSendsBySourceAndAdmitsByDestination() {
        // A site serving VMs of two home agents: each VM's traffic goes to its own home,
        // whatever the correspondent's address, and only its home may send to it.
        let other = IPv4Address(172, 16, 5, 5)
        let table = TunnelRoutingTable([
            TunnelRoute(address: Self.vm, peer: Self.home, role: .anchored),
            TunnelRoute(address: other, peer: Self.siteB, role: .anchored),
        ])
        #expect(table.outboundRoute(source: Self.vm, destination: IPv4Address(8, 8, 8, 8))?.peer == Self.home)
        #expect(table.outboundRoute(source: other, destination: IPv4Address(8, 8, 8, 8))?.peer == Self.siteB)
        #expect(table.outboundRoute(source: IPv4Address(192, 0, 2, 1), destination: Self.vm) == nil)

        if case .admitted(let route) = table.admit(source: IPv4Address(8, 8, 8, 8), destination: Self.vm, key: nil, from: Self.home) {
            #expect(route.role == .anchored)
        } else {
            Issue.record("the VM's home agent may send to it")
        }
        #expect(table.admit(source: IPv4Address(8, 8, 8, 8), destination: Self.vm, key: nil, from: Self.siteB) == .refused(.spoofed))
        #expect(table.admit(source: IPv4Address(8, 8, 8, 8), destination: IPv4Address(10, 10, 0, 51), key: nil, from: Self.home)
            == .refused(.noRoute))
    }

    @Test("one decision says where a packet goes: its route, a prepared copy, a LAN of this host")
    func destinationsOfAPacket() {
        let current = TunnelRoute(address: Self.vm, peer: Self.siteA)
        let prepared = TunnelRoute(address: Self.vm, peer: Self.siteB)
        var table = TunnelRoutingTable([current, TunnelRoute(address: Self.correspondent, peer: Self.home, role: .anchored)])
        #expect(table.destinations(source: IPv4Address(192, 0, 2, 1), destination: Self.vm) == PacketDestinations(route: current))
        // A served VM's packets go to its home agent, whatever their destination (even an
        // address with a route of its own).
        #expect(table.destinations(source: Self.correspondent, destination: Self.vm).route?.peer == Self.home)
        #expect(table.destinations(source: Self.correspondent, destination: IPv4Address(8, 8, 8, 8)).route?.peer == Self.home)
        #expect(table.destinations(source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(8, 8, 8, 8)).isEmpty)

        table.prepare(prepared)
        let delivery = LocalDelivery(interface: "lan0", vm: MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56),
                                     source: MACAddress(2, 0, 0, 0, 0, 1))
        table.deliverLocally(Self.vm, delivery)
        let both = table.destinations(source: IPv4Address(192, 0, 2, 1), destination: Self.vm)
        #expect(both == PacketDestinations(route: current, copy: prepared, local: delivery))
        #expect(both.withoutLocalDelivery == PacketDestinations(route: current, copy: prepared))

        // With only the LAN copy left, a super-packet has nowhere to go.
        table.remove(Self.vm)
        table.unprepare(prepared)
        let onlyLocal = table.destinations(source: IPv4Address(192, 0, 2, 1), destination: Self.vm)
        #expect(onlyLocal == PacketDestinations(local: delivery) && !onlyLocal.isEmpty)
        #expect(onlyLocal.withoutLocalDelivery.isEmpty)
    }

    @Test func insertReplacesAndRemoveDeletes() {
        var table = TunnelRoutingTable()
        #expect(table.isEmpty)
        #expect(table.insert(TunnelRoute(address: Self.vm, peer: Self.siteA)) == nil)
        // The VM moved on: the new site replaces the old one.
        #expect(table.insert(TunnelRoute(address: Self.vm, peer: Self.siteB))?.peer == Self.siteA)
        #expect(table.routes.count == 1)
        #expect(table.admit(source: Self.vm, destination: Self.correspondent, key: nil, from: Self.siteA) == .refused(.spoofed))
        // Host bits of a prefix are ignored.
        table.insert(TunnelRoute(address: IPv4Address(10, 10, 0, 77), prefixLength: 24, peer: Self.home))
        #expect(table.routes.contains { $0.address == IPv4Address(10, 10, 0, 0) && $0.prefixLength == 24 })
        #expect(table.remove(Self.vm).count == 1)
        #expect(table.remove(Self.vm).isEmpty)
        #expect(table.remove(IPv4Address(10, 10, 0, 0), prefixLength: 24).count == 1)
        #expect(table.isEmpty)
    }

    @Test func countersByReason() {
        var counters = TunnelCounters()
        counters[dropped: .spoofed] = 2
        counters[dropped: .malformed] = 3
        #expect(counters.droppedSpoofed == 2)
        #expect(counters.dropped == 5)
        #expect(TunnelDropReason.allCases.map(\.rawValue)
            == ["no_route", "spoofed", "malformed", "key_mismatch", "transmit_failed"])
    }
}
