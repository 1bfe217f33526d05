/// A tunnel's totals since the agent started: inner packets and bytes, out into the
/// tunnel and in from it.
public struct TrafficTotals: Codable, Hashable, Sendable {
    public var packetsOut: UInt64
    public var bytesOut: UInt64
    public var packetsIn: UInt64
    public var bytesIn: UInt64
    public var dropped: UInt64

    public init(packetsOut: UInt64, bytesOut: UInt64, packetsIn: UInt64, bytesIn: UInt64, dropped: UInt64) {
        self.packetsOut = packetsOut
        self.bytesOut = bytesOut
        self.packetsIn = packetsIn
        self.bytesIn = bytesIn
        self.dropped = dropped
    }
}
