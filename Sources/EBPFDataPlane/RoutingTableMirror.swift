import AgentRuntime
internal import CLibBPF
import GLMWire
import Logging
import Synchronization

/// Keeps the programs' maps equal to the user-space tunnel's routing table: at each
/// change, the entries of the one prefix it touched are compared with what was written
/// for that prefix and written or removed — a route change costs a map update or two,
/// microseconds, however many routes there are. A new observer (``TunnelTableChange/everything``)
/// compares the whole table.
///
/// A map the kernel refuses to change (full, say) would leave the programs deciding on
/// a table that is not the agent's: the mirror then sets `GLM_PASS_ALL`, so that every
/// packet takes the user-space path, which is right, and says so at warning level. The
/// next change empties the maps and writes the whole table; when that succeeds, the
/// programs move packets again.
final class RoutingTableMirror: Sendable {
    private struct Prefix: Hashable {
        var address: IPv4Address
        var length: Int
        init(_ address: IPv4Address, _ length: Int) {
            self.address = address
            self.length = length
        }
    }

    private struct State {
        /// What the maps hold, kind by kind.
        var written: [RouteKind: [Prefix: TunnelRoute]] = [:]
        var local: Set<IPv4Address> = []
        var settings: glm_settings
        var degraded = false
    }

    private let maps: TunnelMaps
    private let logger: Logger
    private let state: Mutex<State>

    /// - Parameter settings: what the programs' settings are, for switching them to
    ///   `GLM_PASS_ALL` and back.
    init(maps: TunnelMaps, settings: glm_settings = glm_settings(), logger: Logger) {
        self.maps = maps
        self.logger = logger
        self.state = Mutex(State(settings: settings))
    }

    /// True while the programs leave everything to the user-space tunnel.
    var isDegraded: Bool { state.withLock { $0.degraded } }

    /// Writes what `change` made differ between `table` and the maps.
    func mirror(_ table: TunnelRoutingTable, _ change: TunnelTableChange) {
        state.withLock { state in
            var failures: [any Error] = []
            var change = change
            if state.degraded {
                // What the last attempt wrote is not known: start from empty maps.
                do { try maps.clear() } catch { failures.append(error) }
                state.written = [:]
                state.local = []
                change = .everything
            }
            switch change {
            case .everything:
                let entries = table.entries
                var prefixes = Set(state.written.values.flatMap(\.keys))
                for kind in RouteKind.allCases { prefixes.formUnion(Self.routes(entries, kind).map { Prefix($0.address, $0.prefixLength) }) }
                let byKind = Dictionary(uniqueKeysWithValues: RouteKind.allCases.map { kind in
                    (kind, Dictionary(Self.routes(entries, kind).map { (Prefix($0.address, $0.prefixLength), $0) }, uniquingKeysWith: { $1 }))
                })
                for prefix in prefixes {
                    for kind in RouteKind.allCases { sync(kind, prefix, to: byKind[kind]?[prefix], in: &state, failures: &failures) }
                }
                for address in state.local.union(entries.localDeliveries) {
                    syncLocal(address, present: entries.localDeliveries.contains(address), in: &state, failures: &failures)
                }
            case .prefix(let address, let length):
                let entries = table.entries(at: address, prefixLength: length)
                let prefix = Prefix(IPv4Address(rawValue: address.rawValue & Self.mask(length)), length)
                for kind in RouteKind.allCases { sync(kind, prefix, to: Self.routes(entries, kind).first, in: &state, failures: &failures) }
                if length == 32 {
                    syncLocal(address, present: entries.localDeliveries.contains(address), in: &state, failures: &failures)
                }
            }
            let degraded = !failures.isEmpty
            guard degraded != state.degraded else { return }
            state.settings.flags = degraded ? UInt16(GLM_PASS_ALL) : 0
            do {
                try maps.write(state.settings)
                state.degraded = degraded
            } catch {
                logger.error("could not switch the eBPF tunnel to the user-space path", metadata: ["error": "\(error)"])
                return
            }
            if degraded {
                logger.warning("the kernel refused a tunnel map update; every packet takes the user-space tunnel until the maps are whole again",
                               metadata: ["errors": "\(failures.map { "\($0)" }.joined(separator: "; "))"])
            } else {
                logger.notice("the tunnel maps are whole again; the eBPF programs move packets")
            }
        }
    }

    private func sync(_ kind: RouteKind, _ prefix: Prefix, to route: TunnelRoute?, in state: inout State, failures: inout [any Error]) {
        let old = state.written[kind]?[prefix]
        guard old != route else { return }
        do {
            if let route {
                try maps.write(route, as: kind)
            } else {
                try maps.delete(prefix.address, prefixLength: prefix.length, as: kind)
            }
            state.written[kind, default: [:]][prefix] = route
        } catch {
            failures.append(error)
        }
    }

    private func syncLocal(_ address: IPv4Address, present: Bool, in state: inout State, failures: inout [any Error]) {
        guard state.local.contains(address) != present else { return }
        do {
            try maps.setLocalDelivery(address, present)
            if present { state.local.insert(address) } else { state.local.remove(address) }
        } catch {
            failures.append(error)
        }
    }

    private static func routes(_ entries: TunnelRoutingEntries, _ kind: RouteKind) -> [TunnelRoute] {
        switch kind {
        case .remote: entries.remote
        case .anchored: entries.anchored
        case .prepared: entries.prepared
        case .retiring: entries.retiring
        }
    }

    private static func mask(_ length: Int) -> UInt32 {
        length <= 0 ? 0 : UInt32.max << UInt32(32 - min(length, 32))
    }
}
