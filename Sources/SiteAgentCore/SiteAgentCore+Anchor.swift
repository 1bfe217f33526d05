import GLMWire

/// Which home agent anchors a VM. A site agent is not told: the configuration lists the
/// federation's home agents, not their VMs. The first PBU for a VM of unknown anchor goes
/// to every home agent at once (one WAN round trip, as for a known one); the one that
/// lists the VM accepts and the others refuse with 153 (not the LMA for this mobile node).
/// The acceptor is remembered for the VM's later registrations here; a 153 from a
/// remembered anchor (the VM was moved to another home) sends the question to all again.
extension SiteAgentCore {
    /// The anchor of `vm` before asking: the configuration's `vms` hint, else the home
    /// agent that last accepted it here.
    func knownAnchor(of vm: MACAddress) -> IPv4Address? {
        policy.homeAgent(serving: vm)?.address ?? anchors[vm]
    }

    /// The retransmission timeout of a PBU out to every home agent: the slowest one's.
    var discoveryTimeout: Double {
        policy.homeAgents.map { retransmissionTimeout(for: $0.address) }.max() ?? policy.timers.maximumRetransmission
    }

    /// A PBA from `peer` for a VM whose anchor is being asked for. Acceptance makes `peer`
    /// the anchor (the caller goes on as for any accepted PBA); a refusal takes `peer` off
    /// the candidates, and when none is left the VM is unanchored, loudly. A refusal a
    /// fresh Timestamp may cure (156, 157) is left to the caller's retry.
    /// Returns nil when the caller should go on.
    mutating func discovered(_ status: BindingAcknowledgementStatus, mac: MACAddress, from peer: HomeAgentPeer,
                             at now: Double) -> [SiteAgentAction]? {
        guard var entry = entries[mac], entry.homeAgent == nil else { return nil }
        if status == .accepted {
            entry.homeAgent = peer.address
            entry.candidates = []
            entry.refusals = [:]
            entry.timeout = retransmissionTimeout(for: peer.address)
            entries[mac] = entry
            anchors[mac] = peer.address
            return nil
        }
        if status == .timestampMismatch || status == .timestampLowerThanPreviouslyAccepted { return nil }
        entry.candidates.removeAll { $0 == peer.address }
        entry.refusals[peer.name] = status
        var actions: [SiteAgentAction] = []
        if status != .notLMAForThisMobileNode {
            // Not "not mine": a key, a policy or a resource problem at that home agent.
            actions.append(.notice(.refused(mac, homeAgent: peer.name, status: status, retryIn: nil)))
        }
        if entry.candidates.isEmpty {
            entry.state = .unanchored
            entry.deadline = now + policy.timers.refusedRetry
            entry.attempts = 0
            entry.sequence = nextSequence
            nextSequence &+= 1
            actions.append(.notice(.unanchored(mac, refusals: entry.refusals, retryIn: policy.timers.refusedRetry)))
        }
        entries[mac] = entry
        return actions
    }

    /// A 153 from the VM's remembered anchor: it no longer lists the VM. Forget it, stop
    /// serving, and ask every home agent.
    mutating func anchorLost(_ mac: MACAddress, from peer: HomeAgentPeer, at now: Double) -> [SiteAgentAction] {
        guard var entry = entries[mac] else { return [] }
        anchors[mac] = nil
        let configured = policy.homeAgent(serving: mac) != nil
        var actions: [SiteAgentAction] = [.notice(.refused(mac, homeAgent: peer.name, status: .notLMAForThisMobileNode,
                                                           retryIn: configured ? policy.timers.refusedRetry : 0))]
        if case .served(let vm) = entry.state { actions.append(.unserve(vm)) }
        if case .prepared(let vm) = entry.state { actions.append(.unserve(vm)) }
        entry.state = entry.marked ? .preparing : .registering
        entries[mac] = entry
        guard !configured else {
            // The configuration insists on this anchor: retry it later, as any refusal.
            entry.refusals = [peer.name: .notLMAForThisMobileNode]
            entry.deadline = now + policy.timers.refusedRetry
            entry.sequence = nextSequence
            entry.attempts = 0
            nextSequence &+= 1
            entries[mac] = entry
            return actions
        }
        entry.homeAgent = nil
        entry.candidates = policy.homeAgents.map(\.address)
        entry.refusals = [peer.name: .notLMAForThisMobileNode]
        entry.sequence = nextSequence
        entry.attempts = 0
        entry.timeout = discoveryTimeout
        nextSequence &+= 1
        entries[mac] = entry
        return actions + transmit(mac, lifetime: entry.marked ? policy.timers.preparationLifetime : policy.timers.requestedLifetime,
                                  at: now)
    }
}
