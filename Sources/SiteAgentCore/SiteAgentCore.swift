import GLMWire
import NIOCore

/// The site agent's protocol, without I/O: it notices VMs arriving (the hypervisor's
/// announce, or a hook), registers them with their home agents, retransmits until the
/// PBA, serves them once accepted, refreshes before their lifetime ends, and tears them
/// down when their home agent revokes them.
///
/// Time is wall-clock seconds since 1970, passed in with every event.
public struct SiteAgentCore: Sendable {
    public private(set) var policy: SiteAgentPolicy
    var associations: SecurityAssociations

    /// Where each VM stands.
    public enum State: Hashable, Sendable {
        /// A PBU is out and no PBA has come.
        case registering
        /// Accepted and served here.
        case served(ServedVM)
        /// A preparation's PBU is out (make-before-break): the VM is on its way.
        case preparing
        /// The home agent accepted the preparation: served here before it arrives.
        case prepared(ServedVM)
        /// The VM is at home on this host (its home agent is this site's own): nothing
        /// is anchored or served here.
        case home
        /// Its return home to this host is prepared at its home agent (make-before-break):
        /// the home agent copies its traffic onto the home LAN until it arrives.
        case returning
        /// No home agent accepts the VM; it is asked again after `refused-retry-s` or at
        /// its next announce. Why each refused is in ``refusals``.
        case unanchored
    }

    struct Entry: Sendable {
        var state: State
        /// The home agent that anchors the VM; nil while the PBUs go to every candidate.
        var homeAgent: IPv4Address?
        /// While the anchor is unknown: the home agents asked that have not refused.
        var candidates: [IPv4Address] = []
        /// The refusals of the current exchange, by home agent name.
        var refusals: [String: BindingAcknowledgementStatus] = [:]
        var handoff: HandoffIndicator
        var sequence: UInt16
        /// When the first PBU of this exchange went out (for latency and Karn's rule).
        var firstSent: Double
        var lastSent: Double
        var attempts: Int
        var timeout: Double
        /// When to act next: retransmit, refresh, or retry after a refusal.
        var deadline: Double?
        /// When the current registration began (announces before settling are one migration).
        var registeredAt: Double
        var lifetime: Double = 0
        /// A refresh PBU is out for a served VM.
        var refreshing = false
        var expiresAt: Double = .infinity
        /// The host bridge the VM was last seen arriving on.
        var bridge: String?
        /// The PBUs out carry GLM's preparation mark.
        var marked = false
        /// What a preparation served here before the VM arrived; the arrival's PBA keeps it.
        var early: ServedVM?
    }

    struct Peer: Sendable {
        var smoothedRoundTrip: Double
        var roundTripVariance: Double
        var restartCounter: UInt32?
        var outstanding: [UInt32] = []
        var nextHeartbeat: Double
        var unreachable = false
        var measured = false
        /// When its last Heartbeat response came.
        var lastResponse: Double = -.infinity
        /// The last request sent, and when: its response measures the round trip.
        var lastSequence: UInt32?
        var lastSent: Double = 0
        var heartbeatRoundTrip: Double?
    }

    /// A home agent as this site agent's heartbeats see it (what `status` shows).
    public struct HomeAgentHeartbeat: Hashable, Sendable {
        public var name: String
        public var address: IPv4Address
        /// It answered within the heartbeat timeout (or has not been asked long enough to tell).
        public var reachable: Bool
        public var lastResponse: Double?
        /// The last answered request's round trip, in seconds.
        public var roundTrip: Double?
        public var restartCounter: UInt32?
    }

    /// Every configured home agent's heartbeat state, in configuration order.
    public var homeAgentHeartbeats: [HomeAgentHeartbeat] {
        policy.homeAgents.compactMap { homeAgent in
            guard let peer = peers[homeAgent.address] else { return nil }
            return HomeAgentHeartbeat(name: homeAgent.name, address: homeAgent.address, reachable: !peer.unreachable,
                                      lastResponse: peer.lastResponse.isFinite ? peer.lastResponse : nil,
                                      roundTrip: peer.heartbeatRoundTrip, restartCounter: peer.restartCounter)
        }
    }

    var entries: [MACAddress: Entry] = [:]
    /// Which home agent accepted each VM: learnt from PBAs, kept after the VM leaves, so
    /// its next arrival asks that one alone.
    var anchors: [MACAddress: IPv4Address] = [:]
    var peers: [IPv4Address: Peer] = [:]
    var nextSequence: UInt16 = 1
    var nextHeartbeatSequence: UInt32 = 1
    /// Home agent's clock minus ours, learnt from a 156 refusal's Timestamp.
    var clockOffset: Double = 0

    public init(policy: SiteAgentPolicy, now: Double) {
        self.policy = policy
        self.associations = policy.associations
        for peer in policy.homeAgents {
            peers[peer.address] = Peer(smoothedRoundTrip: policy.timers.expectedRoundTrip,
                                       roundTripVariance: policy.timers.expectedRoundTrip / 2,
                                       nextHeartbeat: now + policy.timers.heartbeatInterval)
        }
    }

    /// The VMs and where they stand.
    public var states: [MACAddress: State] { entries.mapValues(\.state) }

    /// Why home agents refused each VM they refused, by home agent name.
    public var refusals: [MACAddress: [String: BindingAcknowledgementStatus]] {
        entries.compactMapValues { $0.refusals.isEmpty ? nil : $0.refusals }
    }

    /// The home agent anchoring `vm`, once known (configured, or learnt from a PBA).
    public func anchor(of vm: MACAddress) -> HomeAgentPeer? {
        let address = entries[vm]?.homeAgent ?? anchors[vm] ?? policy.homeAgent(serving: vm)?.address
        return address.flatMap(policy.homeAgent(at:))
    }

    /// The VMs served here.
    public var served: [ServedVM] {
        entries.values.compactMap { if case .served(let vm) = $0.state { vm } else { nil } }.sorted { $0.vm < $1.vm }
    }

    /// When ``handle(_:at:)`` wants `.timer`.
    public var nextDeadline: Double? {
        let registrations = entries.values.compactMap(\.deadline).min()
        let heartbeats = peers.values.map(\.nextHeartbeat).min()
        return [registrations, heartbeats].compactMap { $0 }.min()
    }

    /// The retransmission timeout towards a home agent (RFC 6298: SRTT + 4 RTTVAR).
    public func retransmissionTimeout(for homeAgent: IPv4Address) -> Double {
        guard let peer = peers[homeAgent] else { return policy.timers.maximumRetransmission }
        return min(max(peer.smoothedRoundTrip + 4 * peer.roundTripVariance, policy.timers.minimumRetransmission),
                   policy.timers.maximumRetransmission)
    }

    public mutating func handle(_ event: SiteAgentEvent, at now: Double) -> [SiteAgentAction] {
        switch event {
        case .frame(let bytes, let bridge):
            guard let packet = try? LinkLayerPacket(linkType: .ethernet, frame: bytes) else { return [] }
            if let mac = packet.announcedMAC { return announced(mac, on: bridge, at: now) }
            if let arp = packet.arp { return answer(arp, on: bridge) }
            return []
        case .arrived(let mac, let bridge):
            return startRegistration(mac, handoff: .attachmentOverNewInterface, on: bridge, at: now)
        case .present(let macs, let bridge):
            return macs.flatMap { startRegistration($0, handoff: .handoffStateNotChanged, on: bridge, at: now) }
        case .departed(let mac):
            return depart(mac, at: now)
        case .incoming(let mac, let bridge):
            return prepareArrival(mac, on: bridge, at: now)
        case .aborted(let mac):
            return abortPreparation(mac, at: now)
        case .datagram(let bytes, let from, let port):
            return receive(bytes, from: from, port: port, at: now)
        case .timer:
            return fireTimers(at: now)
        }
    }

    // MARK: - Arrival

    private mutating func announced(_ mac: MACAddress, on bridge: String?, at now: Double) -> [SiteAgentAction] {
        if let entry = entries[mac] {
            // The rest of the same migration's announces, or an announce while a PBU is out.
            if case .registering = entry.state { return [] }
            switch entry.state {
            case .preparing, .prepared, .returning, .unanchored:
                // The prepared VM arrived: the ordinary PBU completes the handoff.
                return [.notice(.announceSeen(mac))] + startRegistration(mac, handoff: .handoffBetweenMAGs, on: bridge, at: now)
            default:
                break
            }
            if now - entry.registeredAt < policy.timers.announceSettling { return [] }
            // An announce from a VM already served here (QMP announce-self): a refresh.
            return [.notice(.announceSeen(mac))]
                + startRegistration(mac, handoff: .handoffStateNotChanged, on: bridge, at: now)
        }
        return [.notice(.announceSeen(mac))] + startRegistration(mac, handoff: .handoffBetweenMAGs, on: bridge, at: now)
    }

    mutating func startRegistration(_ mac: MACAddress, handoff: HandoffIndicator, on bridge: String? = nil,
                                    at now: Double) -> [SiteAgentAction] {
        guard !policy.homeAgents.isEmpty else { return [] }
        let sequence = nextSequence
        nextSequence &+= 1
        let anchor = entries[mac]?.homeAgent ?? knownAnchor(of: mac)
        let timeout = anchor.map(retransmissionTimeout(for:)) ?? discoveryTimeout
        var entry = entries[mac] ?? Entry(state: .registering, homeAgent: anchor, handoff: handoff, sequence: sequence,
                                          firstSent: now, lastSent: now, attempts: 0, timeout: timeout, deadline: nil,
                                          registeredAt: now)
        entry.homeAgent = anchor
        entry.candidates = anchor == nil ? policy.homeAgents.map(\.address) : []
        entry.refusals = [:]
        entry.handoff = handoff
        entry.sequence = sequence
        entry.firstSent = now
        entry.attempts = 0
        entry.timeout = timeout
        entry.registeredAt = now
        if let bridge { entry.bridge = bridge }
        switch entry.state {
        case .preparing, .returning, .home, .unanchored:
            entry.state = .registering
        case .prepared(let vm):
            entry.early = vm
            entry.state = .registering
        default:
            break
        }
        entry.marked = false
        entries[mac] = entry
        return transmit(mac, lifetime: policy.timers.requestedLifetime, at: now)
    }

    /// Sends (or resends) the VM's PBU with a fresh Timestamp, and arms the retransmission.
    mutating func transmit(_ mac: MACAddress, lifetime: Double, at now: Double) -> [SiteAgentAction] {
        guard var entry = entries[mac] else { return [] }
        let peers = (entry.homeAgent.map { [$0] } ?? entry.candidates).compactMap(policy.homeAgent(at:))
        guard !peers.isEmpty else { return [] }
        entry.attempts += 1
        entry.lastSent = now
        entry.deadline = now + entry.timeout
        entries[mac] = entry
        let update = ProxyBindingUpdate(
            sequenceNumber: entry.sequence, flags: flags(for: mac), lifetimeUnits: UInt16(min(lifetime / 4, 65535)),
            options: [.mobileNodeIdentifier(.eui48(mac)), .handoffIndicator(entry.handoff), .accessTechnologyType(.virtual),
                      .timestamp(timestamp(at: now))] + (entry.marked ? [.vendorSpecific(.prepare)] : [])
                + [.ipv4HomeAddressRequest(IPv4HomeAddressRequest())])
        var actions = peers.flatMap { send(.proxyBindingUpdate(update), to: $0) }
        let asked = peers.count == 1 ? peers[0].name : "any of \(peers.count)"
        actions.append(.notice(.registrationSent(mac, homeAgent: asked, attempt: entry.attempts, handoff: entry.handoff)))
        return actions
    }

    /// The A and P flags, and T: GLM's sites always offer the TLV format, so a tenant's
    /// GRE key can be carried.
    func flags(for mac: MACAddress) -> ProxyBindingUpdate.Flags { [.acknowledge, .proxy, .tlvHeaderFormat] }

    func timestamp(at now: Double) -> PMIPTimestamp {
        PMIPTimestamp(secondsSince1970: now + clockOffset) ?? PMIPTimestamp(rawValue: 0)
    }

    func send(_ message: MobilityMessage, to peer: HomeAgentPeer) -> [SiteAgentAction] {
        let signer = MessageSigner(association: peer.association,
                                   scope: AuthenticationScope(sender: policy.address, receiver: peer.address))
        guard let bytes = try? MobilityHeader.encode(message, signer: signer) else { return [] }
        return [.send(bytes, to: peer.address, port: peer.port)]
    }

    // MARK: - Departure

    private mutating func depart(_ mac: MACAddress, at now: Double) -> [SiteAgentAction] {
        guard let entry = entries.removeValue(forKey: mac) else { return [] }
        switch entry.state {
        case .home, .unanchored:
            // Nothing is anchored here: nobody to tell.
            return [.notice(.released(mac))]
        case .returning:
            return (policy.homeAgent(at: entry.homeAgent ?? .any).map { deregister(mac, from: $0, marked: true, at: now) } ?? [])
                + [.notice(.released(mac))]
        default:
            break
        }
        guard let peer = entry.homeAgent.flatMap(policy.homeAgent(at:)) else { return [.notice(.released(mac))] }
        var actions: [SiteAgentAction] = []
        if case .served(let vm) = entry.state { actions.append(.unserve(vm)) }
        if let early = entry.early, entry.state == .registering { actions.append(.unserve(early)) }
        actions += deregister(mac, from: peer, at: now)
        actions.append(.notice(.released(mac)))
        return actions
    }

    // MARK: - Preparation (make-before-break)

    private mutating func prepareArrival(_ mac: MACAddress, on bridge: String?, at now: Double) -> [SiteAgentAction] {
        if let entry = entries[mac] {
            guard case .unanchored = entry.state else { return [] }
        }
        guard !policy.homeAgents.isEmpty else { return [] }
        let sequence = nextSequence
        nextSequence &+= 1
        let anchor = knownAnchor(of: mac)
        var entry = Entry(state: .preparing, homeAgent: anchor, handoff: .handoffBetweenMAGs, sequence: sequence,
                          firstSent: now, lastSent: now, attempts: 0,
                          timeout: anchor.map(retransmissionTimeout(for:)) ?? discoveryTimeout,
                          deadline: nil, registeredAt: now)
        entry.candidates = anchor == nil ? policy.homeAgents.map(\.address) : []
        entry.bridge = bridge
        entry.marked = true
        entries[mac] = entry
        let name = anchor.flatMap(policy.homeAgent(at:))?.name ?? "any of \(policy.homeAgents.count)"
        return [.notice(.preparing(mac, homeAgent: name))]
            + transmit(mac, lifetime: policy.timers.preparationLifetime, at: now)
    }

    private mutating func abortPreparation(_ mac: MACAddress, at now: Double) -> [SiteAgentAction] {
        guard let entry = entries[mac] else { return [] }
        let served: ServedVM?
        switch entry.state {
        case .preparing, .returning: served = nil
        case .prepared(let vm): served = vm
        default: return []  // the VM arrived: the migration did not fail here
        }
        entries[mac] = nil
        // Still unanchored: every home agent asked may have accepted by now.
        let peers = (entry.homeAgent.map { [$0] } ?? entry.candidates).compactMap(policy.homeAgent(at:))
        return (served.map { [.unserve($0)] } ?? []) + peers.flatMap { deregister(mac, from: $0, marked: true, at: now) }
            + [.notice(.preparationEnded(mac, outcome: "aborted"))]
    }

    /// A PBU with lifetime 0: the home agent may drop the binding at once (RFC 5213 §6.9.1.2)
    /// rather than wait for a BRI exchange or the lifetime's end. Sent once, unretransmitted:
    /// a lost one only leaves the binding to expire.
    private mutating func deregister(_ mac: MACAddress, from peer: HomeAgentPeer, marked: Bool = false,
                                     at now: Double) -> [SiteAgentAction] {
        let sequence = nextSequence
        nextSequence &+= 1
        let update = ProxyBindingUpdate(
            sequenceNumber: sequence, flags: flags(for: mac), lifetimeUnits: 0,
            options: [.mobileNodeIdentifier(.eui48(mac)), .handoffIndicator(.handoffStateNotChanged),
                      .accessTechnologyType(.virtual), .timestamp(timestamp(at: now))]
                + (marked ? [.vendorSpecific(.prepare)] : []) + [.ipv4HomeAddressRequest(IPv4HomeAddressRequest())])
        return send(.proxyBindingUpdate(update), to: peer)
    }

    // MARK: - Reload

    /// Adopts a new policy (a reloaded configuration) without disturbing the VMs whose
    /// home agent stays the same: new keys and timers apply from the next message. A VM
    /// whose home agent changed, or that no home agent lists any more, is released here
    /// (deregistered with its old home agent while that one is still configured) and,
    /// when another home agent now lists it, registered there.
    public mutating func reload(_ newPolicy: SiteAgentPolicy, at now: Double) -> [SiteAgentAction] {
        policy = newPolicy
        associations = newPolicy.associations
        for peer in newPolicy.homeAgents where peers[peer.address] == nil {
            peers[peer.address] = Peer(smoothedRoundTrip: newPolicy.timers.expectedRoundTrip,
                                       roundTripVariance: newPolicy.timers.expectedRoundTrip / 2,
                                       nextHeartbeat: now + newPolicy.timers.heartbeatInterval)
        }
        for address in peers.keys where newPolicy.homeAgent(at: address) == nil {
            peers[address] = nil
        }
        anchors = anchors.filter { newPolicy.homeAgent(at: $0.value) != nil }
        var actions: [SiteAgentAction] = []
        for (mac, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let current = entry.homeAgent else { continue }
            // A VM stays with its anchor unless the configuration now names another for it,
            // or no longer lists that home agent at all.
            let configured = newPolicy.homeAgent(serving: mac)?.address
            let anchor = configured ?? (newPolicy.homeAgent(at: current) != nil ? current : nil)
            guard anchor != current else { continue }
            entries[mac] = nil
            anchors[mac] = configured
            if case .served(let vm) = entry.state { actions.append(.unserve(vm)) }
            if let old = newPolicy.homeAgent(at: current) { actions += deregister(mac, from: old, at: now) }
            actions.append(.notice(.released(mac)))
            actions += startRegistration(mac, handoff: .attachmentOverNewInterface, on: entry.bridge, at: now)
        }
        return actions
    }

    // MARK: - Timers

    private mutating func fireTimers(at now: Double) -> [SiteAgentAction] {
        var actions: [SiteAgentAction] = []
        for (mac, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let deadline = entry.deadline, deadline <= now else { continue }
            switch entry.state {
            case .registering, .preparing:
                // RFC 6275 §11.8: double the timeout, up to MAX_BINDACK_TIMEOUT.
                var updated = entry
                updated.timeout = min(entry.timeout * 2, policy.timers.maximumRetransmission)
                entries[mac] = updated
                actions += transmit(mac, lifetime: entry.marked ? policy.timers.preparationLifetime : policy.timers.requestedLifetime,
                                    at: now)
            case .unanchored:
                // Ask every home agent again: one may list the VM by now.
                actions += startRegistration(mac, handoff: entry.handoff, at: now)
            case .returning:
                entries[mac] = nil
                actions.append(.notice(.preparationEnded(mac, outcome: "expired")))
            case .home:
                var updated = entry
                updated.deadline = nil
                entries[mac] = updated
            case .prepared(let vm):
                // The VM never came: the home agent drops the preparation at the same time.
                entries[mac] = nil
                actions += [.unserve(vm), .notice(.preparationEnded(mac, outcome: "expired"))]
            case .served(let vm) where entry.refreshing:
                if now >= entry.expiresAt {
                    // The lifetime ran out unanswered: the home agent no longer sends here.
                    var updated = entry
                    updated.state = .registering
                    updated.refreshing = false
                    entries[mac] = updated
                    actions.append(.unserve(vm))
                }
                var updated = entries[mac]!
                updated.timeout = min(entry.timeout * 2, policy.timers.maximumRetransmission)
                entries[mac] = updated
                actions += transmit(mac, lifetime: policy.timers.requestedLifetime, at: now)
            case .served:
                // Refresh before the lifetime ends.
                var updated = entry
                updated.refreshing = true
                updated.sequence = nextSequence
                nextSequence &+= 1
                updated.handoff = .handoffStateNotChanged
                updated.firstSent = now
                updated.attempts = 0
                updated.timeout = entry.homeAgent.map(retransmissionTimeout(for:)) ?? discoveryTimeout
                entries[mac] = updated
                actions += transmit(mac, lifetime: policy.timers.requestedLifetime, at: now)
            }
        }
        for (address, peer) in peers.sorted(by: { $0.key < $1.key }) where peer.nextHeartbeat <= now {
            actions += heartbeat(address, at: now)
        }
        return actions
    }
}
