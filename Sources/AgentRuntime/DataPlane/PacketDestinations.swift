import GLMWire

/// Where one packet read from the TUN goes: the one decision both encapsulation paths
/// (whole packets, and offload's super-packets in ``TCPSegmenter``) act on, and the one
/// a data plane that mirrors ``TunnelRoutingTable`` into the kernel must reproduce.
///
/// A packet goes to its route's peer, to a site preparing to receive its destination
/// (make-before-break), and onto a LAN of this host (a VM on its way back), each when
/// the table says so. With none of the three it is dropped as
/// ``TunnelDropReason/noRoute``; a copy the LAN refuses counts as
/// ``TunnelDropReason/transmitFailed``, as a datagram the kernel refuses does.
public struct PacketDestinations: Hashable, Sendable {
    /// The anchored route of the packet's source (a VM served here sends through its
    /// home agent), else the remote route of its destination.
    public var route: TunnelRoute?
    /// The site preparing to receive the packet's destination, unless it is `route`'s peer.
    public var copy: TunnelRoute?
    /// The LAN of this host a copy goes onto.
    public var local: LocalDelivery?

    public init(route: TunnelRoute? = nil, copy: TunnelRoute? = nil, local: LocalDelivery? = nil) {
        self.route = route
        self.copy = copy
        self.local = local
    }

    /// True when the packet goes nowhere: it is dropped for want of a route.
    public var isEmpty: Bool { route == nil && copy == nil && local == nil }

    /// The same without the LAN copy: a packet the kernel left for the tunnel to segment
    /// (TCP offload) is not copied onto a LAN, whose frames cannot carry it whole.
    public var withoutLocalDelivery: PacketDestinations { PacketDestinations(route: route, copy: copy) }
}

extension TunnelRoutingTable {
    /// Where a packet from `source` to `destination`, read from the TUN, goes.
    public func destinations(source: IPv4Address, destination: IPv4Address) -> PacketDestinations {
        let route = outboundRoute(source: source, destination: destination)
        return PacketDestinations(route: route, copy: bicastRoute(destination: destination, besides: route),
                                  local: localDelivery(destination: destination))
    }
}
