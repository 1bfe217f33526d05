import GLMWire
import NIOCore

/// The home agent's protocol, without I/O: it takes events with their wall-clock time
/// (seconds since 1970) and returns the actions that carry them out.
///
/// It owns the binding cache, the pending revocations and the heartbeat state. The
/// runtime performs the actions in order, calls ``handle(_:at:)`` with `.timer` when
/// ``nextDeadline`` passes, and never changes a binding any other way.
public struct HomeAgentCore: Sendable {
    public private(set) var policy: HomeAgentPolicy
    /// This agent's Restart Counter (RFC 5847), persisted and incremented at every start.
    public let restartCounter: UInt32
    /// The binding cache: VMs away from home, by MAC.
    public internal(set) var bindings: [MACAddress: Binding] = [:]
    /// Sites preparing to receive a VM, by MAC (at most one per VM).
    public internal(set) var preparations: [MACAddress: Preparation] = [:]

    var associations: SecurityAssociations
    /// Last accepted Timestamp per VM, kept after a binding goes so that a replayed
    /// update cannot bring it back.
    var acceptedTimestamps: [MACAddress: PMIPTimestamp] = [:]
    var revocations: [RevocationKey: PendingRevocation] = [:]
    var peers: [IPv4Address: PeerState] = [:]
    var nextRevocationSequence: UInt16 = 1
    var nextHeartbeatSequence: UInt32 = 1
    var deadlines = DeadlineQueue<Deadline>()

    enum Deadline: Sendable {
        case expiry(MACAddress)
        case preparation(MACAddress)
        case revocation(RevocationKey)
        case heartbeat(IPv4Address)
    }

    public init(policy: HomeAgentPolicy, restartCounter: UInt32) {
        self.policy = policy
        self.restartCounter = restartCounter
        self.associations = policy.associations
    }

    /// When ``handle(_:at:)`` wants to be called with `.timer`, if ever.
    public var nextDeadline: Double? { deadlines.earliest }

    /// Takes back bindings read from the store at start: the data plane is rebuilt and
    /// the timers resume. Bindings of VMs or sites no longer in the policy are dropped.
    public mutating func restore(_ restored: [Binding], at now: Double) -> [HomeAgentAction] {
        var actions: [HomeAgentAction] = []
        actions.reserveCapacity(restored.count)
        bindings.reserveCapacity(bindings.count + restored.count)
        acceptedTimestamps.reserveCapacity(acceptedTimestamps.count + restored.count)
        var expiries: [(key: Deadline, deadline: Double)] = []
        expiries.reserveCapacity(restored.count)
        for binding in restored {
            guard let vm = policy.vm(mac: binding.vm), let site = policy.site(at: binding.siteAddress),
                  vm.allows(site: site.name) else {
                actions.append(.unpersist(binding.vm))
                actions.append(.notice(.bindingRemoved(binding, .policy)))
                continue
            }
            bindings[binding.vm] = binding
            acceptedTimestamps[binding.vm] = binding.timestamp
            expiries.append((.expiry(binding.vm), binding.expiresAt))
            schedulePeer(binding.siteAddress, at: now, delay: 0)
            actions.append(.attach(AwayVM(binding)))
        }
        deadlines.insert(contentsOf: expiries)
        return actions
    }

    /// Replaces the policy (a reload). Bindings stay, except those the new policy no
    /// longer allows: they are revoked.
    public mutating func reload(_ newPolicy: HomeAgentPolicy, at now: Double) -> [HomeAgentAction] {
        policy = newPolicy
        associations = newPolicy.associations
        var actions: [HomeAgentAction] = []
        for binding in bindings.values.sorted(by: { $0.vm < $1.vm }) {
            let site = newPolicy.site(at: binding.siteAddress)
            let allowed = newPolicy.vm(mac: binding.vm).map { vm in site.map { vm.allows(site: $0.name) } ?? false } ?? false
            if !allowed {
                actions += remove(binding, reason: .policy, trigger: .administrativeReason, at: now)
            }
        }
        return actions
    }

    /// Handles one event that happened at `now` (seconds since 1970).
    public mutating func handle(_ event: HomeAgentEvent, at now: Double) -> [HomeAgentAction] {
        switch event {
        case .datagram(let bytes, let from, let port, let to):
            return receive(bytes, from: from, port: port, to: to, at: now)
        case .vmAnnouncedAtHome(let mac):
            guard let binding = bindings[mac] else { return [] }
            return remove(binding, reason: .cameHome, trigger: .interMAGHandoverSameAccessType, at: now)
                + completePreparation(mac, at: policy.address)
        case .vmIncomingAtHome(let mac):
            return prepareReturnHome(mac, at: now)
        case .vmIncomingAtHomeAborted(let mac):
            return abortReturnHome(mac)
        case .revoke(let mac):
            guard let binding = bindings[mac] else { return [] }
            return remove(binding, reason: .administrative, trigger: .administrativeReason, at: now)
        case .timer:
            return fireTimers(at: now)
        }
    }

    // MARK: - Receiving

    private mutating func receive(_ bytes: ByteBuffer, from: IPv4Address, port: UInt16, to: IPv4Address,
                                  at now: Double) -> [HomeAgentAction] {
        let header: MobilityHeader
        do {
            header = try MobilityHeader(decoding: bytes)
        } catch {
            return [.notice(.malformed(from: from, reason: error.description))]
        }
        guard let site = policy.site(at: from) else {
            return [.notice(.unknownPeer(from))]
        }
        let verdict = associations.verify(header, bytes: bytes, scope: AuthenticationScope(sender: from, receiver: to))
        let authentic = verdict == .verified(spi: site.association.spi)
        let reply = ReplyPath(site: site, address: from, port: port, local: to)
        switch header.message {
        case .proxyBindingUpdate(let update):
            guard authentic else {
                return refuse(update, .authenticationFailed, reply, reason: "authentication \(verdict.name)", at: now)
            }
            return register(update, reply: reply, at: now)
        case .heartbeat(let heartbeat):
            guard authentic else { return [.notice(.unauthenticated(from: from, verdict: verdict))] }
            return receiveHeartbeat(heartbeat, reply: reply, at: now)
        case .bindingRevocationAcknowledgement(let acknowledgement):
            guard authentic else { return [.notice(.unauthenticated(from: from, verdict: verdict))] }
            return receiveRevocationAcknowledgement(acknowledgement, site: site, from: from)
        case .proxyBindingAcknowledgement:
            return [.notice(.ignored(from: from, reason: "a home agent sends PBAs, it does not receive them"))]
        case .bindingRevocationIndication:
            return [.notice(.ignored(from: from, reason: "site-initiated revocation is not supported"))]
        }
    }

    /// Where replies to a site's hypervisor go, and what they are signed with.
    struct ReplyPath {
        let site: SitePolicy
        /// The hypervisor's signaling address.
        let address: IPv4Address
        let port: UInt16
        let local: IPv4Address

        var signer: MessageSigner {
            MessageSigner(association: site.association, scope: AuthenticationScope(sender: local, receiver: address))
        }
    }

    func send(_ message: MobilityMessage, _ path: ReplyPath) -> HomeAgentAction? {
        guard let bytes = try? MobilityHeader.encode(message, signer: path.signer) else { return nil }
        return .send(bytes, to: path.address, port: path.port)
    }

    // MARK: - Timers

    private mutating func fireTimers(at now: Double) -> [HomeAgentAction] {
        var actions: [HomeAgentAction] = []
        while let (_, key) = deadlines.popDue(at: now) {
            switch key {
            case .expiry(let mac):
                actions += expire(mac, at: now)
            case .preparation(let mac):
                actions += expirePreparation(mac, at: now)
            case .revocation(let key):
                actions += retransmitRevocation(key, at: now)
            case .heartbeat(let address):
                actions += sendHeartbeat(to: address, at: now)
            }
        }
        return actions
    }

    private mutating func expire(_ mac: MACAddress, at now: Double) -> [HomeAgentAction] {
        guard let binding = bindings[mac] else { return [] }
        // Refreshed since this deadline was set: a later deadline is already queued.
        if binding.expiresAt > now { return [] }
        // RFC 5213 §9.1 MinDelayBeforeBCEDelete: the binding is kept (and still served)
        // for a grace period after its lifetime, so a late refresh can still save it.
        let deleteAt = binding.expiresAt + policy.timers.minDelayBeforeDelete
        if deleteAt > now {
            deadlines.insert(.expiry(mac), at: deleteAt)
            return []
        }
        return remove(binding, reason: .expired, trigger: nil, at: now)
    }

    // MARK: - Removing

    /// Removes a binding: data plane, store, and (with a trigger) a revocation to its site.
    mutating func remove(_ binding: Binding, reason: HomeAgentNotice.Removal, trigger: RevocationTrigger?,
                         at now: Double) -> [HomeAgentAction] {
        bindings[binding.vm] = nil
        var actions: [HomeAgentAction] = [.unpersist(binding.vm), .detach(AwayVM(binding)),
                                          .notice(.bindingRemoved(binding, reason))]
        if let trigger {
            actions += revoke(binding, trigger: trigger, at: now)
        }
        return actions
    }
}
