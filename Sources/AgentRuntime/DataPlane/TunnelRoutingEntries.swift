import GLMWire

/// The contents of a ``TunnelRoutingTable`` by kind, each route with its prefix masked:
/// remote and anchored routes, preparations (make-before-break), retiring routes (the
/// old site's grace), and the addresses with a copy for a LAN of this host.
public struct TunnelRoutingEntries: Hashable, Sendable {
    public var remote: [TunnelRoute]
    public var anchored: [TunnelRoute]
    public var prepared: [TunnelRoute]
    public var retiring: [TunnelRoute]
    public var localDeliveries: Set<IPv4Address>

    public init(remote: [TunnelRoute] = [], anchored: [TunnelRoute] = [], prepared: [TunnelRoute] = [],
                retiring: [TunnelRoute] = [], localDeliveries: Set<IPv4Address> = []) {
        self.remote = remote
        self.anchored = anchored
        self.prepared = prepared
        self.retiring = retiring
        self.localDeliveries = localDeliveries
    }
}

/// What a change to a ``TunnelRoutingTable`` touched: everything (a new observer), or the
/// entries of every kind at exactly one prefix (and, for a host prefix, its local delivery).
public enum TunnelTableChange: Hashable, Sendable {
    case everything
    case prefix(IPv4Address, Int)
}
