import GLMWire
import SiteAgentCore

/// What serving a VM at this site does to the host: answer its ARP requests for its home
/// gateway on its bridge, deliver the tunnel's packets to it, and tunnel its own packets home.
///
/// The daemon calls these in the order the core decides, one at a time.
public protocol SiteDataPlane: Sendable {
    /// Brings up the tunnel device and socket, before any VM is served.
    func start() async throws
    /// Starts serving `vm` as its home agent accepted it.
    func serve(_ vm: ServedVM) async throws
    /// Stops serving `vm`: it left, or its home agent revoked it.
    func unserve(_ vm: ServedVM) async throws
    /// Sends a served VM the ARP reply it asked for.
    func answer(_ answer: ARPAnswer) throws
    /// Teaches the site's LAN that `vm`'s MAC is behind this host (its return home here
    /// is prepared).
    func claim(_ vm: MACAddress, bridge: String?) throws
    /// Undoes everything ``start()`` and ``serve(_:)`` did.
    func stop() async
}
