import GLMControl
import GLMWire
import Synchronization

/// Why the data plane dropped a packet.
public enum TunnelDropReason: String, Hashable, Sendable, CaseIterable {
    /// No route: a packet from the TUN whose destination (or anchored source) has none,
    /// or a tunnelled packet whose inner source (or anchored destination) has none.
    case noRoute = "no_route"
    /// A tunnelled packet whose route belongs to another peer than the datagram's sender.
    case spoofed
    /// A datagram that is not a tunnel frame of the profile (Docs/protocol.md §8), or a
    /// packet from the TUN that is not IPv4.
    case malformed
    /// A tunnelled packet from the right peer with another GRE key than its route's.
    case keyMismatch = "key_mismatch"
    /// The kernel refused to send a datagram or to take a packet into the TUN.
    case transmitFailed = "transmit_failed"
}

/// A snapshot of a tunnel's counters since it started; what the daemons export as metrics.
///
/// "Out" is from the TUN into the tunnel, "in" from the tunnel into the TUN. Bytes
/// count inner IPv4 packets, without the outer headers and framing.
public struct TunnelCounters: Hashable, Sendable {
    /// Packets read from the TUN and sent to a peer.
    public var packetsOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    /// Tunnelled packets admitted and written into the TUN.
    public var packetsIn: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var droppedNoRoute: UInt64 = 0
    public var droppedSpoofed: UInt64 = 0
    public var droppedMalformed: UInt64 = 0
    public var droppedKeyMismatch: UInt64 = 0
    public var droppedTransmitFailed: UInt64 = 0
    /// Packets a kernel data plane left to the user-space path beneath it, from the
    /// device ("out") and from the WAN ("in"); always 0 for the user-space tunnel alone.
    public var passedToUserSpaceOut: UInt64 = 0
    public var passedToUserSpaceIn: UInt64 = 0
    /// The traffic with each peer: out as sent, in as admitted (before the write into
    /// the TUN, which the totals count).
    public var peers: [IPv4Address: PeerTraffic] = [:]

    public init() {}

    /// The drops for one reason.
    public subscript(dropped reason: TunnelDropReason) -> UInt64 {
        get {
            switch reason {
            case .noRoute: droppedNoRoute
            case .spoofed: droppedSpoofed
            case .malformed: droppedMalformed
            case .keyMismatch: droppedKeyMismatch
            case .transmitFailed: droppedTransmitFailed
            }
        }
        set {
            switch reason {
            case .noRoute: droppedNoRoute = newValue
            case .spoofed: droppedSpoofed = newValue
            case .malformed: droppedMalformed = newValue
            case .keyMismatch: droppedKeyMismatch = newValue
            case .transmitFailed: droppedTransmitFailed = newValue
            }
        }
    }

    /// Drops for every reason.
    public var dropped: UInt64 {
        TunnelDropReason.allCases.reduce(0) { $0 + self[dropped: $1] }
    }

    /// Adds `other`'s counts to these (two data planes' counters as one).
    public mutating func add(_ other: TunnelCounters) {
        packetsOut &+= other.packetsOut
        bytesOut &+= other.bytesOut
        packetsIn &+= other.packetsIn
        bytesIn &+= other.bytesIn
        droppedNoRoute &+= other.droppedNoRoute
        droppedSpoofed &+= other.droppedSpoofed
        droppedMalformed &+= other.droppedMalformed
        droppedKeyMismatch &+= other.droppedKeyMismatch
        droppedTransmitFailed &+= other.droppedTransmitFailed
        passedToUserSpaceOut &+= other.passedToUserSpaceOut
        passedToUserSpaceIn &+= other.passedToUserSpaceIn
        for (peer, traffic) in other.peers { peers[peer, default: PeerTraffic()].add(traffic) }
    }
}

/// The counters the data plane's threads add to: each thread counts a batch in a
/// local ``TunnelCounters`` and publishes it here at the end of the batch.
final class SharedTunnelCounters: Sendable {
    private let totals = Mutex(TunnelCounters())

    func publish(_ batch: inout TunnelCounters) {
        guard batch != TunnelCounters() else { return }
        totals.withLock { $0.add(batch) }
        // The batch's dictionary is emptied in place and kept: no allocation a batch.
        var peers: [IPv4Address: PeerTraffic] = [:]
        swap(&peers, &batch.peers)
        peers.removeAll(keepingCapacity: true)
        batch = TunnelCounters()
        batch.peers = peers
    }

    var snapshot: TunnelCounters { totals.withLock { $0 } }
}

extension TrafficTotals {
    /// One peer's traffic as `status` shows it.
    public init(_ traffic: PeerTraffic) {
        self.init(packetsOut: traffic.packetsOut, bytesOut: traffic.bytesOut, packetsIn: traffic.packetsIn, bytesIn: traffic.bytesIn)
    }

    /// A tunnel's counters as `status` shows them.
    public init(_ counters: TunnelCounters) {
        self.init(packetsOut: counters.packetsOut, bytesOut: counters.bytesOut, packetsIn: counters.packetsIn,
                  bytesIn: counters.bytesIn,
                  dropped: TunnelDropReason.allCases.reduce(0) { $0 &+ counters[dropped: $1] })
    }
}
