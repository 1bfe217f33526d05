import GLMWire

/// The inner traffic exchanged with one tunnel peer (a site's hypervisor, or a home
/// agent): packets and bytes sent to it, and those it sent that were admitted.
public struct PeerTraffic: Hashable, Sendable {
    public var packetsOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var packetsIn: UInt64 = 0
    public var bytesIn: UInt64 = 0

    public init() {}

    mutating func sent(packets: Int, bytes: Int) {
        packetsOut &+= UInt64(packets)
        bytesOut &+= UInt64(bytes)
    }

    /// Adds `other`'s traffic to this.
    public mutating func add(_ other: PeerTraffic) {
        packetsOut &+= other.packetsOut
        bytesOut &+= other.bytesOut
        packetsIn &+= other.packetsIn
        bytesIn &+= other.bytesIn
    }
}

/// A run of packets admitted from one peer, counted as they come and added to a
/// batch's counters once the sender changes or the batch ends: one dictionary update a
/// run rather than one a packet.
struct PeerRun {
    private var peer: IPv4Address?
    private var traffic = PeerTraffic()

    mutating func admitted(_ bytes: Int, from sender: IPv4Address, into counters: inout TunnelCounters) {
        if sender != peer {
            finish(into: &counters)
            peer = sender
        }
        traffic.packetsIn &+= 1
        traffic.bytesIn &+= UInt64(bytes)
    }

    mutating func finish(into counters: inout TunnelCounters) {
        guard let peer, traffic.packetsIn > 0 else { return }
        counters.peers[peer, default: PeerTraffic()].add(traffic)
        traffic = PeerTraffic()
    }
}
