import AgentRuntime
@testable import EBPFDataPlane
import GLMWire
import LabSupport
import Logging
import Testing

/// The eBPF programs' maps against the routing table they mirror: the kernel's maps
/// (loaded for real, read back with `bpf_map_get_next_key`) hold exactly the table's
/// entries after every one of a long run of random changes — routes of both roles and
/// several prefix lengths installed, moved and removed, preparations, retirements and
/// their ends, local deliveries. Needs root (to load the programs).
@Suite("eBPF maps mirror the routing table")
struct RoutingTableMirrorTests {
    /// A route as the maps can say it: their tries know no role for preparations and
    /// retirements.
    struct Entry: Hashable {
        var address: IPv4Address
        var prefixLength: Int
        var peer: IPv4Address
        var framing: String
    }

    static func normalized(_ routes: [TunnelRoute]) -> Set<Entry> {
        Set(routes.map { Entry(address: $0.address, prefixLength: $0.prefixLength, peer: $0.peer, framing: "\($0.framing)") })
    }

    static func expectEqual(_ maps: TunnelRoutingEntries, _ table: TunnelRoutingEntries, after step: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(normalized(maps.remote) == normalized(table.remote), "remote after \(step)", sourceLocation: sourceLocation)
        #expect(normalized(maps.anchored) == normalized(table.anchored), "anchored after \(step)", sourceLocation: sourceLocation)
        #expect(normalized(maps.prepared) == normalized(table.prepared), "prepared after \(step)", sourceLocation: sourceLocation)
        #expect(normalized(maps.retiring) == normalized(table.retiring), "retiring after \(step)", sourceLocation: sourceLocation)
        #expect(maps.localDeliveries == table.localDeliveries, "local deliveries after \(step)", sourceLocation: sourceLocation)
    }

    @Test("the maps hold the table's entries after every change")
    func mapsFollowTheTable() throws {
        guard TestEnvironment.require(TestEnvironment.isRoot, "loading eBPF programs needs root") else { return }
        let program = try TunnelProgram()
        defer { program.close() }
        let mirror = RoutingTableMirror(maps: program.maps, logger: Logger(label: "glm.test"))

        // A table that existed before the programs: written whole.
        var table = TunnelRoutingTable([
            TunnelRoute(address: IPv4Address(10, 10, 0, 50), peer: IPv4Address(198, 18, 1, 2)),
            TunnelRoute(address: IPv4Address(10, 20, 0, 0), prefixLength: 16, peer: IPv4Address(198, 18, 2, 2), framing: .tlv),
        ])
        mirror.mirror(table, .everything)
        Self.expectEqual(program.maps.contents(), table.entries, after: "the first mirror")

        var random = SplitMix(seed: 0x474c_4d)
        let peers = (1...4).map { IPv4Address(198, 18, UInt8($0), 2) }
        let framings: [TunnelFrame.Format] = [.bare, .tlv, .tlvGRE(key: nil), .tlvGRE(key: 7), .tlvGRE(key: 0xfeed_beef)]
        let delivery = LocalDelivery(interface: "lan0", vm: MACAddress(0x52, 0x54, 0, 0, 0, 1), source: MACAddress(2, 0, 0, 0, 0, 1))
        for step in 1...600 {
            let prefixLength = [32, 32, 32, 24, 16][random.next(5)]
            let address = IPv4Address(10, 10, UInt8(random.next(3)), UInt8(48 + random.next(6)))
            let route = TunnelRoute(address: address, prefixLength: prefixLength, peer: peers[random.next(peers.count)],
                                    framing: framings[random.next(framings.count)],
                                    role: random.next(3) == 0 ? .anchored : .remote)
            let what: String
            switch random.next(8) {
            case 0, 1, 2: table.insert(route); what = "insert \(route)"
            case 3: table.remove(address, prefixLength: prefixLength); what = "remove \(address)/\(prefixLength)"
            case 4: table.prepare(route); what = "prepare \(route)"
            case 5: table.unprepare(route); what = "unprepare \(route)"
            case 6:
                if random.next(2) == 0 { table.retire(route); what = "retire \(route)" } else { table.forget(retired: route); what = "forget \(route)" }
            default:
                let present = random.next(2) == 0
                table.deliverLocally(address, present ? delivery : nil)
                what = "\(present ? "deliver" : "stop delivering") \(address) locally"
            }
            let change: TunnelTableChange = what.contains("locally") ? .prefix(address, 32) : .prefix(address, prefixLength)
            mirror.mirror(table, change)
            Self.expectEqual(program.maps.contents(), table.entries, after: "step \(step): \(what)")
        }
        #expect(!mirror.isDegraded)
    }

    @Test("a route the kernel refuses (the trie is full) sends every packet to user space until the maps are whole again")
    func fullTriePassesAll() throws {
        guard TestEnvironment.require(TestEnvironment.isRoot, "loading eBPF programs needs root") else { return }
        let program = try TunnelProgram()
        defer { program.close() }
        let mirror = RoutingTableMirror(maps: program.maps, logger: Logger(label: "glm.test"))
        let peer = IPv4Address(198, 18, 2, 2)
        func host(_ index: Int) -> IPv4Address { IPv4Address(10, UInt8(index >> 16), UInt8((index >> 8) & 0xff), UInt8(index & 0xff)) }

        // As many host routes as the remote trie holds: all written, the programs decide.
        let capacity = TunnelMaps.routeCapacity
        var table = TunnelRoutingTable((0..<capacity).map { TunnelRoute(address: host($0), peer: peer) })
        mirror.mirror(table, .everything)
        #expect(!mirror.isDegraded)
        #expect(try !program.maps.readPassAll())
        #expect(program.maps.contents().remote.count == capacity)

        // One more: the kernel refuses it, and the programs leave everything to user space.
        let extra = TunnelRoute(address: host(capacity), peer: peer)
        table.insert(extra)
        mirror.mirror(table, .prefix(extra.address, 32))
        #expect(mirror.isDegraded)
        #expect(try program.maps.readPassAll())

        // One route goes: the next change empties the maps and writes the table whole.
        table.remove(host(0), prefixLength: 32)
        mirror.mirror(table, .prefix(host(0), 32))
        #expect(!mirror.isDegraded)
        #expect(try !program.maps.readPassAll())
        Self.expectEqual(program.maps.contents(), table.entries, after: "the table fits again")
    }
}

/// A small seeded generator, so that a failing run can be repeated.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
