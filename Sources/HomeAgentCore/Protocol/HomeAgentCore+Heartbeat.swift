import GLMWire

/// What the home agent knows of a site's liveness (RFC 5847).
struct PeerState: Sendable {
    var restartCounter: UInt32?
    var outstanding: [UInt32] = []
    var unreachable = false
    var port: UInt16 = 5436
    /// The last request sent, and when: its response measures the round trip.
    var lastSequence: UInt32?
    var lastSent: Double = 0
    var lastResponse: Double?
    var roundTrip: Double?
}

/// A site's hypervisor as the home agent's heartbeats see it (what `status` shows).
public struct HostHeartbeat: Hashable, Sendable {
    public var address: IPv4Address
    public var site: String
    /// It answered within the heartbeat timeout (or has not been asked long enough to tell).
    public var reachable: Bool
    public var lastResponse: Double?
    /// The last answered request's round trip, in seconds.
    public var roundTrip: Double?
    public var restartCounter: UInt32?
}

extension HomeAgentCore {
    /// The hosts heartbeated now: those holding bindings, and those still owing an answer.
    public var heartbeatedHosts: [HostHeartbeat] {
        peers.compactMap { address, peer in
            guard let site = policy.site(at: address) else { return nil }
            return HostHeartbeat(address: address, site: site.name, reachable: !peer.unreachable,
                                 lastResponse: peer.lastResponse, roundTrip: peer.roundTrip, restartCounter: peer.restartCounter)
        }.sorted { $0.address < $1.address }
    }

    /// Starts heartbeats to a site's hypervisor the first time it holds a binding; the
    /// first goes after `delay` (a heartbeat interval, or none at start: a hypervisor that
    /// hears from a restarted agent asks at once, and learns of the restart).
    mutating func schedulePeer(_ address: IPv4Address, at now: Double, delay: Double? = nil) {
        guard peers[address] == nil else { return }
        peers[address] = PeerState()
        deadlines.insert(.heartbeat(address), at: now + (delay ?? policy.timers.heartbeatInterval))
    }

    /// Sends a Heartbeat request to a site holding bindings, and counts the unanswered.
    mutating func sendHeartbeat(to address: IPv4Address, at now: Double) -> [HomeAgentAction] {
        guard var peer = peers[address], let site = policy.site(at: address) else {
            peers[address] = nil
            return []
        }
        let holdsBindings = bindings.values.contains { $0.siteAddress == address }
        // Nothing bound there any more: stop until it holds a binding again. A request
        // still unanswered is given its answer's time, unless the host is already
        // unreachable (or would be now): a host that died holding bindings is not asked
        // forever after they moved on.
        guard holdsBindings || (!peer.outstanding.isEmpty && !peer.unreachable
                                && peer.outstanding.count < policy.timers.missingHeartbeatsAllowed) else {
            peers[address] = nil
            return []
        }
        var actions: [HomeAgentAction] = []
        if peer.outstanding.count >= policy.timers.missingHeartbeatsAllowed, !peer.unreachable {
            peer.unreachable = true
            actions.append(.notice(.peerUnreachable(site: site.name, host: address)))
        }
        let sequence = nextHeartbeatSequence
        nextHeartbeatSequence &+= 1
        peer.outstanding = Array((peer.outstanding + [sequence]).suffix(policy.timers.missingHeartbeatsAllowed + 1))
        peer.lastSequence = sequence
        peer.lastSent = now
        peers[address] = peer
        deadlines.insert(.heartbeat(address), at: now + policy.timers.heartbeatInterval)
        let path = ReplyPath(site: site, address: address, port: peer.port, local: policy.address)
        if let send = send(.heartbeat(Heartbeat(flags: [], sequenceNumber: sequence)), path) {
            actions.append(send)
        }
        return actions
    }

    /// Answers a request; takes note of a response and of the peer's Restart Counter.
    mutating func receiveHeartbeat(_ heartbeat: Heartbeat, reply: ReplyPath, at now: Double) -> [HomeAgentAction] {
        guard heartbeat.isResponse else {
            let response = Heartbeat(flags: [.response], sequenceNumber: heartbeat.sequenceNumber,
                                     options: [.restartCounter(restartCounter)])
            return send(.heartbeat(response), reply).map { [$0] } ?? []
        }
        let address = reply.address
        var peer = peers[address] ?? PeerState()
        var actions: [HomeAgentAction] = []
        if peer.outstanding.contains(heartbeat.sequenceNumber) {
            peer.outstanding.removeAll()
            peer.lastResponse = now
            if heartbeat.sequenceNumber == peer.lastSequence { peer.roundTrip = max(0, now - peer.lastSent) }
            if peer.unreachable {
                peer.unreachable = false
                actions.append(.notice(.peerReachable(site: reply.site.name, host: address)))
            }
        }
        if let counter = heartbeat.options.restartCounter {
            if let known = peer.restartCounter, known != counter {
                actions.append(.notice(.peerRestarted(site: reply.site.name, restartCounter: counter)))
            }
            peer.restartCounter = counter
        }
        peer.port = reply.port
        peers[address] = peer
        return actions
    }
}
