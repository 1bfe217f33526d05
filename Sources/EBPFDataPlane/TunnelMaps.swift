#if canImport(Glibc)
import Glibc
#endif
import AgentRuntime
internal import CLibBPF
import GLMWire

/// The programs' maps (layouts in `Programs/tunnel.h`): this end's settings, the four
/// route tries, the local deliveries, and the per-CPU counters.
struct TunnelMaps: Sendable {
    /// How many prefixes each route trie holds, and local deliveries the hash.
    static let routeCapacity = Int(GLM_MAX_ROUTES)

    let settings: Int32
    let remote: Int32
    let anchored: Int32
    let prepared: Int32
    let retiring: Int32
    let local: Int32
    let counters: Int32
    let peers: Int32

    init(object: OpaquePointer) throws(DataPlaneError) {
        func map(_ name: String) throws(DataPlaneError) -> Int32 {
            let descriptor = bpf_object__find_map_fd_by_name(object, name)
            guard descriptor >= 0 else { throw DataPlaneError(.kernelProgram, "the tunnel programs have no map \(name)") }
            return descriptor
        }
        settings = try map("glm_settings")
        remote = try map("glm_remote")
        anchored = try map("glm_anchored")
        prepared = try map("glm_prepared")
        retiring = try map("glm_retiring")
        local = try map("glm_local")
        counters = try map("glm_counters")
        peers = try map("glm_peers")
    }

    /// Writes this end's settings.
    func write(_ value: glm_settings) throws(DataPlaneError) {
        var key: UInt32 = 0
        var value = value
        let result = bpf_map_update_elem(settings, &key, &value, UInt64(BPF_ANY))
        guard result == 0 else { throw DataPlaneError(.kernelProgram, systemError: -result, "writing the tunnel programs' settings") }
    }

    /// Whether the settings the programs read have them leave every packet to user space.
    func readPassAll() throws(DataPlaneError) -> Bool {
        var key: UInt32 = 0
        var value = glm_settings()
        let result = bpf_map_lookup_elem(settings, &key, &value)
        guard result == 0 else { throw DataPlaneError(.kernelProgram, systemError: -result, "reading the tunnel programs' settings") }
        return value.flags & UInt16(GLM_PASS_ALL) != 0
    }

    /// The trie a route of `kind` lives in.
    func trie(_ kind: RouteKind) -> Int32 {
        switch kind {
        case .remote: remote
        case .anchored: anchored
        case .prepared: prepared
        case .retiring: retiring
        }
    }

    /// Adds or replaces `route` in its kind's trie.
    func write(_ route: TunnelRoute, as kind: RouteKind) throws(DataPlaneError) {
        var key = Self.prefix(route.address, route.prefixLength)
        var value = glm_route()
        value.peer = route.peer.rawValue.bigEndian
        value.key = route.key ?? 0
        value.framing = UInt8(Self.framing(route.framing).rawValue)
        let result = bpf_map_update_elem(trie(kind), &key, &value, UInt64(BPF_ANY))
        guard result == 0 else { throw DataPlaneError(.kernelProgram, systemError: -result, "writing the \(kind) route \(route)") }
    }

    /// Removes the `kind` route for `address/prefixLength`; a missing one is no error.
    func delete(_ address: IPv4Address, prefixLength: Int, as kind: RouteKind) throws(DataPlaneError) {
        var key = Self.prefix(address, prefixLength)
        let result = bpf_map_delete_elem(trie(kind), &key)
        guard result == 0 || result == -ENOENT else {
            throw DataPlaneError(.kernelProgram, systemError: -result, "removing the \(kind) route for \(address)/\(prefixLength)")
        }
    }

    /// Marks `address` as having a copy for a LAN of this host (or not).
    func setLocalDelivery(_ address: IPv4Address, _ present: Bool) throws(DataPlaneError) {
        var key = address.rawValue.bigEndian
        var one: UInt8 = 1
        let result = present ? bpf_map_update_elem(local, &key, &one, UInt64(BPF_ANY)) : bpf_map_delete_elem(local, &key)
        guard result == 0 || (!present && result == -ENOENT) else {
            throw DataPlaneError(.kernelProgram, systemError: -result, "marking the local delivery of \(address)")
        }
    }

    /// What the route tries and the local deliveries hold, as routing-table entries.
    func contents() -> TunnelRoutingEntries {
        func routes(_ kind: RouteKind) -> [TunnelRoute] {
            var found: [TunnelRoute] = []
            var key = glm_prefix()
            var next = glm_prefix()
            var first = true
            while (first ? bpf_map_get_next_key(trie(kind), nil, &next) : bpf_map_get_next_key(trie(kind), &key, &next)) == 0 {
                first = false
                key = next
                var lookup = key
                var value = glm_route()
                guard bpf_map_lookup_elem(trie(kind), &lookup, &value) == 0 else { continue }
                let framing: TunnelFrame.Format
                switch UInt32(value.framing) {
                case GLM_FRAMING_TLV.rawValue: framing = .tlv
                case GLM_FRAMING_GRE.rawValue: framing = .tlvGRE(key: nil)
                case GLM_FRAMING_GRE_KEY.rawValue: framing = .tlvGRE(key: value.key)
                default: framing = .bare
                }
                found.append(TunnelRoute(address: IPv4Address(rawValue: UInt32(bigEndian: key.address)), prefixLength: Int(key.length),
                                         peer: IPv4Address(rawValue: UInt32(bigEndian: value.peer)), framing: framing,
                                         role: kind == .anchored ? .anchored : .remote))
            }
            return found
        }
        var local: Set<IPv4Address> = []
        var address: UInt32 = 0
        var next: UInt32 = 0
        var first = true
        while (first ? bpf_map_get_next_key(self.local, nil, &next) : bpf_map_get_next_key(self.local, &address, &next)) == 0 {
            first = false
            address = next
            local.insert(IPv4Address(rawValue: UInt32(bigEndian: address)))
        }
        return TunnelRoutingEntries(remote: routes(.remote), anchored: routes(.anchored), prepared: routes(.prepared),
                                    retiring: routes(.retiring), localDeliveries: local)
    }

    /// Empties the route tries and the local deliveries.
    func clear() throws(DataPlaneError) {
        for (descriptor, keySize) in [(remote, 8), (anchored, 8), (prepared, 8), (retiring, 8), (local, 4)] {
            var key = [UInt8](repeating: 0, count: keySize)
            while bpf_map_get_next_key(descriptor, nil, &key) == 0 {
                let result = bpf_map_delete_elem(descriptor, &key)
                guard result == 0 else { throw DataPlaneError(.kernelProgram, systemError: -result, "emptying a tunnel map") }
            }
        }
    }

    /// The counters summed over the processors: totals, and what went to the user-space
    /// tunnel (``KernelCounters``).
    func readCounters() -> KernelCounters {
        let processors = Int(max(libbpf_num_possible_cpus(), 1))
        var values = [UInt64](repeating: 0, count: processors)
        var totals = [UInt64](repeating: 0, count: Int(GLM_COUNTER_COUNT.rawValue))
        for index in totals.indices {
            var key = UInt32(index)
            guard bpf_map_lookup_elem(counters, &key, &values) == 0 else { continue }
            totals[index] = values.reduce(0, &+)
        }
        var result = KernelCounters()
        func total(_ counter: glm_counter) -> UInt64 { totals[Int(counter.rawValue)] }
        result.tunnel.packetsOut = total(GLM_PACKETS_OUT)
        result.tunnel.bytesOut = total(GLM_BYTES_OUT)
        result.tunnel.packetsIn = total(GLM_PACKETS_IN)
        result.tunnel.bytesIn = total(GLM_BYTES_IN)
        result.tunnel.droppedNoRoute = total(GLM_DROPPED_NO_ROUTE)
        result.tunnel.droppedSpoofed = total(GLM_DROPPED_SPOOFED)
        result.tunnel.droppedMalformed = total(GLM_DROPPED_MALFORMED)
        result.tunnel.droppedKeyMismatch = total(GLM_DROPPED_KEY_MISMATCH)
        result.tunnel.droppedTransmitFailed = total(GLM_DROPPED_TRANSMIT_FAILED)
        result.tunnel.passedToUserSpaceOut = total(GLM_PASSED_OUT)
        result.tunnel.passedToUserSpaceIn = total(GLM_PASSED_IN)

        var traffic = [glm_peer_traffic](repeating: glm_peer_traffic(), count: processors)
        var key: UInt32 = 0
        var next: UInt32 = 0
        var first = true
        while (first ? bpf_map_get_next_key(peers, nil, &next) : bpf_map_get_next_key(peers, &key, &next)) == 0 {
            first = false
            key = next
            var lookup = key
            guard bpf_map_lookup_elem(peers, &lookup, &traffic) == 0 else { continue }
            var peer = PeerTraffic()
            for value in traffic {
                peer.packetsOut &+= value.packets_out
                peer.bytesOut &+= value.bytes_out
                peer.packetsIn &+= value.packets_in
                peer.bytesIn &+= value.bytes_in
            }
            result.tunnel.peers[IPv4Address(rawValue: UInt32(bigEndian: key))] = peer
        }
        return result
    }

    static func prefix(_ address: IPv4Address, _ length: Int) -> glm_prefix {
        let mask: UInt32 = length <= 0 ? 0 : UInt32.max << UInt32(32 - min(length, 32))
        return glm_prefix(length: UInt32(max(0, min(length, 32))), address: (address.rawValue & mask).bigEndian)
    }

    static func framing(_ format: TunnelFrame.Format) -> glm_framing {
        switch format {
        case .bare: GLM_FRAMING_BARE
        case .tlv: GLM_FRAMING_TLV
        case .tlvGRE(nil): GLM_FRAMING_GRE
        case .tlvGRE: GLM_FRAMING_GRE_KEY
        }
    }
}

/// Which of the programs' route tries a route lives in (``TunnelRoutingEntries``).
enum RouteKind: String, CaseIterable, Sendable {
    case remote, anchored, prepared, retiring
}

/// The kernel's side of the tunnel's counters: what the programs moved and dropped, and
/// the packets they left to the user-space tunnel, from the device and from the WAN.
public struct KernelCounters: Hashable, Sendable {
    public var tunnel = TunnelCounters()
    public var passedOut: UInt64 { tunnel.passedToUserSpaceOut }
    public var passedIn: UInt64 { tunnel.passedToUserSpaceIn }
}
