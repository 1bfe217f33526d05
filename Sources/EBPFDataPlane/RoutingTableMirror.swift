import AgentRuntime
internal import CLibBPF
import GLMWire
import Logging
import Synchronization

/// Keeps the programs' maps equal to the user-space tunnel's routing table: each time
/// the table changes, the entries that differ from what was written last are written
/// or removed — a route change costs a map update or two, microseconds.
///
/// A map the kernel refuses to change (full, say) would leave the programs deciding on
/// a table that is not the agent's: the mirror then sets ``GLM_PASS_ALL``, so that every
/// packet takes the user-space path, which is right, and says so at warning level. The
/// next change empties the maps and writes the whole table; when that succeeds, the
/// programs move packets again.
final class RoutingTableMirror: Sendable {
    private struct State {
        var written = TunnelRoutingEntries()
        var settings: glm_settings
        var degraded = false
    }

    private let maps: TunnelMaps
    private let logger: Logger
    private let state: Mutex<State>

    init(maps: TunnelMaps, settings: glm_settings, logger: Logger) {
        self.maps = maps
        self.logger = logger
        self.state = Mutex(State(settings: settings))
    }

    /// True while the programs leave everything to the user-space tunnel.
    var isDegraded: Bool { state.withLock { $0.degraded } }

    /// Writes the differences between `table` and what was written last.
    func mirror(_ table: TunnelRoutingTable) {
        let entries = table.entries
        state.withLock { state in
            var failures: [any Error] = []
            if state.degraded {
                // What the last attempt wrote is not known: start from empty maps.
                do { try maps.clear() } catch { failures.append(error) }
                state.written = TunnelRoutingEntries()
            }
            for kind in RouteKind.allCases {
                sync(kind, from: Self.routes(state.written, kind), to: Self.routes(entries, kind), failures: &failures)
            }
            for address in state.written.localDeliveries.subtracting(entries.localDeliveries) {
                do { try maps.setLocalDelivery(address, false) } catch { failures.append(error) }
            }
            for address in entries.localDeliveries.subtracting(state.written.localDeliveries) {
                do { try maps.setLocalDelivery(address, true) } catch { failures.append(error) }
            }
            state.written = entries
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

    private func sync(_ kind: RouteKind, from old: [TunnelRoute], to new: [TunnelRoute], failures: inout [any Error]) {
        let before = Dictionary(old.map { (Prefix($0), $0) }, uniquingKeysWith: { $1 })
        let after = Dictionary(new.map { (Prefix($0), $0) }, uniquingKeysWith: { $1 })
        for (prefix, _) in before where after[prefix] == nil {
            do { try maps.delete(prefix.address, prefixLength: prefix.length, as: kind) } catch { failures.append(error) }
        }
        for (prefix, route) in after where before[prefix] != route {
            do { try maps.write(route, as: kind) } catch { failures.append(error) }
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

    private struct Prefix: Hashable {
        var address: IPv4Address
        var length: Int
        init(_ route: TunnelRoute) {
            address = route.address
            length = route.prefixLength
        }
    }
}
