import GLMWire

/// A tunnel's routes and the two decisions made with them for every packet: where a
/// packet read from the TUN goes, and whether a decapsulated packet may enter.
///
/// A plain value, no I/O: the data plane keeps one and hands copies to its threads.
/// Matching is longest-prefix within each ``TunnelRoute/Role``.
public struct TunnelRoutingTable: Sendable {
    private var remote = PrefixMap()
    private var anchored = PrefixMap()
    /// Remote routes replaced or removed a moment ago: their peer's packets are still
    /// admitted (those already on their way when the VM moved on), nothing is sent by them.
    private var retiring = PrefixMap()
    /// Sites preparing to receive a VM (make-before-break): its downlink is sent there as
    /// well, and what they send from its address is admitted.
    private var prepared = PrefixMap()
    /// VMs on their way back to a LAN of this host: a copy of their downlink goes there.
    private var deliveries: [IPv4Address: LocalDelivery] = [:]

    public init(_ routes: [TunnelRoute] = []) {
        for route in routes { insert(route) }
    }

    /// Keeps admitting what `route`'s peer sends from its prefix, without sending by it,
    /// until ``forget(retired:)``; replaces a retiring route for the same prefix.
    public mutating func retire(_ route: TunnelRoute) {
        var route = route
        route.address = IPv4Address(rawValue: route.address.rawValue & TunnelRoute.mask(route.prefixLength))
        _ = retiring.insert(route)
    }

    /// Ends the grace ``retire(_:)`` gave `route` (if it is still the retiring one).
    public mutating func forget(retired route: TunnelRoute) {
        var route = route
        route.address = IPv4Address(rawValue: route.address.rawValue & TunnelRoute.mask(route.prefixLength))
        if let removed = retiring.remove(route.address, prefixLength: route.prefixLength), removed != route {
            _ = retiring.insert(removed)
        }
    }

    /// Sends a copy of everything for `route`'s prefix to `route`'s peer too, and admits
    /// what that peer sends from it; replaces a preparation for the same prefix.
    public mutating func prepare(_ route: TunnelRoute) {
        var route = route
        route.address = IPv4Address(rawValue: route.address.rawValue & TunnelRoute.mask(route.prefixLength))
        _ = prepared.insert(route)
    }

    /// Ends the preparation for `route`'s prefix, if `route`'s peer holds it.
    public mutating func unprepare(_ route: TunnelRoute) {
        var route = route
        route.address = IPv4Address(rawValue: route.address.rawValue & TunnelRoute.mask(route.prefixLength))
        if let removed = prepared.remove(route.address, prefixLength: route.prefixLength), removed.peer != route.peer {
            _ = prepared.insert(removed)
        }
    }

    /// The second destination of a packet for `destination` while a site prepares to
    /// receive it, unless it is the first's peer.
    public func bicastRoute(destination: IPv4Address, besides primary: TunnelRoute?) -> TunnelRoute? {
        guard !prepared.isEmpty, let route = prepared.lookup(destination), route.peer != primary?.peer else { return nil }
        return route
    }

    /// Copies what goes to `address` onto a LAN of this host (``LocalDelivery``).
    public mutating func deliverLocally(_ address: IPv4Address, _ delivery: LocalDelivery?) {
        deliveries[address] = delivery
    }

    /// Where a copy of a packet for `destination` goes on a LAN of this host, if anywhere.
    public func localDelivery(destination: IPv4Address) -> LocalDelivery? {
        deliveries.isEmpty ? nil : deliveries[destination]
    }

    /// Every route, host routes first.
    public var routes: [TunnelRoute] { remote.routes + anchored.routes }

    /// What the table holds at exactly `address/prefixLength`, kind by kind (each list
    /// empty or one route); the local delivery counts for a host prefix.
    public func entries(at address: IPv4Address, prefixLength: Int) -> TunnelRoutingEntries {
        let key = IPv4Address(rawValue: address.rawValue & TunnelRoute.mask(prefixLength))
        func exact(_ map: PrefixMap) -> [TunnelRoute] { map.route(at: key, prefixLength: prefixLength).map { [$0] } ?? [] }
        return TunnelRoutingEntries(remote: exact(remote), anchored: exact(anchored), prepared: exact(prepared),
                                    retiring: exact(retiring),
                                    localDeliveries: prefixLength == 32 && deliveries[address] != nil ? [address] : [])
    }

    /// Everything the table holds, kind by kind: what a data plane that mirrors the
    /// table into the kernel's maps writes there.
    public var entries: TunnelRoutingEntries {
        TunnelRoutingEntries(remote: remote.routes, anchored: anchored.routes, prepared: prepared.routes,
                             retiring: retiring.routes, localDeliveries: Set(deliveries.keys))
    }

    public var isEmpty: Bool { remote.isEmpty && anchored.isEmpty }

    /// Adds `route`, replacing the route of the same role for the same prefix; returns the replaced one.
    @discardableResult
    public mutating func insert(_ route: TunnelRoute) -> TunnelRoute? {
        var route = route
        route.address = IPv4Address(rawValue: route.address.rawValue & TunnelRoute.mask(route.prefixLength))
        switch route.role {
        case .remote: return remote.insert(route)
        case .anchored: return anchored.insert(route)
        }
    }

    /// Removes the routes (of either role) for `address/prefixLength`; returns them.
    @discardableResult
    public mutating func remove(_ address: IPv4Address, prefixLength: Int = 32) -> [TunnelRoute] {
        [remote.remove(address, prefixLength: prefixLength), anchored.remove(address, prefixLength: prefixLength)]
            .compactMap { $0 }
    }

    /// The route for a packet read from the TUN: the anchored route of its source
    /// (a VM served here sends through its home agent), else the remote route of its
    /// destination; nil when neither exists.
    public func outboundRoute(source: IPv4Address, destination: IPv4Address) -> TunnelRoute? {
        if !anchored.isEmpty, let route = anchored.lookup(source) { return route }
        return remote.lookup(destination)
    }

    /// Whether a packet decapsulated from a datagram sent by `sender`, with GRE key
    /// `key`, may be written into the TUN.
    ///
    /// It may when the remote route of its inner source, or the anchored route of its
    /// inner destination, or a retiring route of its inner source, has `sender` as peer
    /// and the same key. Otherwise the reason:
    /// ``TunnelDropReason/keyMismatch`` when the right peer used the wrong key,
    /// ``TunnelDropReason/spoofed`` when a route exists but another peer holds it,
    /// ``TunnelDropReason/noRoute`` when no route covers the packet at all.
    public func admit(source: IPv4Address, destination: IPv4Address, key: UInt32?,
                      from sender: IPv4Address) -> TunnelAdmission {
        var refusal = TunnelDropReason.noRoute
        if let route = remote.lookup(source) {
            if let verdict = Self.check(route, key: key, sender: sender, refusal: &refusal) { return verdict }
        }
        if !anchored.isEmpty, let route = anchored.lookup(destination) {
            if let verdict = Self.check(route, key: key, sender: sender, refusal: &refusal) { return verdict }
        }
        if !prepared.isEmpty, let route = prepared.lookup(source) {
            var ignored = refusal
            if let verdict = Self.check(route, key: key, sender: sender, refusal: &ignored) { return verdict }
        }
        if !retiring.isEmpty, let route = retiring.lookup(source) {
            var ignored = refusal
            if let verdict = Self.check(route, key: key, sender: sender, refusal: &ignored) { return verdict }
        }
        return .refused(refusal)
    }

    private static func check(_ route: TunnelRoute, key: UInt32?, sender: IPv4Address,
                      refusal: inout TunnelDropReason) -> TunnelAdmission? {
        guard route.peer == sender else {
            if refusal == .noRoute { refusal = .spoofed }
            return nil
        }
        guard route.admits(key: key) else {
            refusal = .keyMismatch
            return nil
        }
        return .admitted(route)
    }

}

/// The outcome of ``TunnelRoutingTable/admit(source:destination:key:from:)``.
public enum TunnelAdmission: Hashable, Sendable {
    case admitted(TunnelRoute)
    case refused(TunnelDropReason)
}

/// Routes of one role by prefix: one dictionary per prefix length in use, searched
/// from the longest, so a host route costs one hash lookup.
struct PrefixMap: Sendable {
    private var byLength: [Int: [UInt32: TunnelRoute]] = [:]
    private var lengths: [Int] = []  // in use, longest first

    var isEmpty: Bool { lengths.isEmpty }

    var routes: [TunnelRoute] {
        lengths.flatMap { length in byLength[length, default: [:]].values.sorted { $0.address < $1.address } }
    }

    mutating func insert(_ route: TunnelRoute) -> TunnelRoute? {
        let previous = byLength[route.prefixLength, default: [:]].updateValue(route, forKey: route.address.rawValue)
        if !lengths.contains(route.prefixLength) {
            lengths.append(route.prefixLength)
            lengths.sort(by: >)
        }
        return previous
    }

    mutating func remove(_ address: IPv4Address, prefixLength: Int) -> TunnelRoute? {
        let key = address.rawValue & TunnelRoute.mask(prefixLength)
        guard let removed = byLength[prefixLength]?.removeValue(forKey: key) else { return nil }
        if byLength[prefixLength]?.isEmpty == true {
            byLength[prefixLength] = nil
            lengths.removeAll { $0 == prefixLength }
        }
        return removed
    }

    /// The route for exactly `address/prefixLength` (`address` masked already).
    func route(at address: IPv4Address, prefixLength: Int) -> TunnelRoute? {
        byLength[prefixLength]?[address.rawValue]
    }

    func lookup(_ address: IPv4Address) -> TunnelRoute? {
        for length in lengths {
            if let route = byLength[length]?[address.rawValue & TunnelRoute.mask(length)] { return route }
        }
        return nil
    }
}
