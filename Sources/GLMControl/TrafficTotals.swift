/// A tunnel's traffic since the agent started: inner packets and bytes, out into the
/// tunnel and in from it; the whole tunnel's with its drops, or one peer's.
public struct TrafficTotals: Codable, Hashable, Sendable {
    public var packetsOut: UInt64
    public var bytesOut: UInt64
    public var packetsIn: UInt64
    public var bytesIn: UInt64
    /// The tunnel's drops, for every reason; nil for a peer.
    public var dropped: UInt64?

    public init(packetsOut: UInt64, bytesOut: UInt64, packetsIn: UInt64, bytesIn: UInt64, dropped: UInt64? = nil) {
        self.packetsOut = packetsOut
        self.bytesOut = bytesOut
        self.packetsIn = packetsIn
        self.bytesIn = bytesIn
        self.dropped = dropped
    }

    /// The sum of peers' traffic.
    public init(summing peers: [TrafficTotals]) {
        self.init(packetsOut: peers.reduce(0) { $0 &+ $1.packetsOut }, bytesOut: peers.reduce(0) { $0 &+ $1.bytesOut },
                  packetsIn: peers.reduce(0) { $0 &+ $1.packetsIn }, bytesIn: peers.reduce(0) { $0 &+ $1.bytesIn })
    }
}
