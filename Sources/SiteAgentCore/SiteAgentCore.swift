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
    let associations: SecurityAssociations

    /// Where each VM stands.
    public enum State: Hashable, Sendable {
        /// A PBU is out and no PBA has come.
        case registering
        /// Accepted and served here.
        case served(ServedVM)
    }

    struct Entry: Sendable {
        var state: State
        var homeAgent: IPv4Address
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
    }

    struct Peer: Sendable {
        var smoothedRoundTrip: Double
        var roundTripVariance: Double
        var restartCounter: UInt32?
        var outstanding: [UInt32] = []
        var nextHeartbeat: Double
        var unreachable = false
        var measured = false
    }

    var entries: [MACAddress: Entry] = [:]
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
        case .frame(let bytes):
            guard let mac = try? LinkLayerPacket(linkType: .ethernet, frame: bytes).announcedMAC else { return [] }
            return announced(mac, at: now)
        case .arrived(let mac):
            return startRegistration(mac, handoff: .attachmentOverNewInterface, at: now)
        case .present(let macs):
            return macs.flatMap { startRegistration($0, handoff: .handoffStateNotChanged, at: now) }
        case .departed(let mac):
            return depart(mac, at: now)
        case .datagram(let bytes, let from, let port):
            return receive(bytes, from: from, port: port, at: now)
        case .timer:
            return fireTimers(at: now)
        }
    }

    // MARK: - Arrival

    private mutating func announced(_ mac: MACAddress, at now: Double) -> [SiteAgentAction] {
        guard policy.homeAgent(serving: mac) != nil else { return [] }
        if let entry = entries[mac] {
            // The rest of the same migration's announces, or an announce while a PBU is out.
            if case .registering = entry.state { return [] }
            if now - entry.registeredAt < policy.timers.announceSettling { return [] }
            // An announce from a VM already served here (QMP announce-self): a refresh.
            return [.notice(.announceSeen(mac))] + startRegistration(mac, handoff: .handoffStateNotChanged, at: now)
        }
        return [.notice(.announceSeen(mac))] + startRegistration(mac, handoff: .handoffBetweenMAGs, at: now)
    }

    mutating func startRegistration(_ mac: MACAddress, handoff: HandoffIndicator, at now: Double) -> [SiteAgentAction] {
        guard let peer = policy.homeAgent(serving: mac) else { return [] }
        let sequence = nextSequence
        nextSequence &+= 1
        let timeout = retransmissionTimeout(for: peer.address)
        var entry = entries[mac] ?? Entry(state: .registering, homeAgent: peer.address, handoff: handoff, sequence: sequence,
                                          firstSent: now, lastSent: now, attempts: 0, timeout: timeout, deadline: nil,
                                          registeredAt: now)
        entry.handoff = handoff
        entry.sequence = sequence
        entry.firstSent = now
        entry.attempts = 0
        entry.timeout = timeout
        entry.registeredAt = now
        entries[mac] = entry
        return transmit(mac, lifetime: policy.timers.requestedLifetime, at: now)
    }

    /// Sends (or resends) the VM's PBU with a fresh Timestamp, and arms the retransmission.
    mutating func transmit(_ mac: MACAddress, lifetime: Double, at now: Double) -> [SiteAgentAction] {
        guard var entry = entries[mac], let peer = policy.homeAgent(at: entry.homeAgent) else { return [] }
        entry.attempts += 1
        entry.lastSent = now
        entry.deadline = now + entry.timeout
        entries[mac] = entry
        let update = ProxyBindingUpdate(
            sequenceNumber: entry.sequence, flags: flags(for: mac), lifetimeUnits: UInt16(min(lifetime / 4, 65535)),
            options: [.mobileNodeIdentifier(.eui48(mac)), .handoffIndicator(entry.handoff), .accessTechnologyType(.virtual),
                      .timestamp(timestamp(at: now)), .ipv4HomeAddressRequest(IPv4HomeAddressRequest())])
        var actions = send(.proxyBindingUpdate(update), to: peer)
        actions.append(.notice(.registrationSent(mac, homeAgent: peer.name, attempt: entry.attempts, handoff: entry.handoff)))
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
        guard let entry = entries.removeValue(forKey: mac), let peer = policy.homeAgent(at: entry.homeAgent) else { return [] }
        var actions: [SiteAgentAction] = []
        if case .served(let vm) = entry.state { actions.append(.unserve(vm)) }
        let sequence = nextSequence
        nextSequence &+= 1
        let update = ProxyBindingUpdate(
            sequenceNumber: sequence, flags: flags(for: mac), lifetimeUnits: 0,
            options: [.mobileNodeIdentifier(.eui48(mac)), .handoffIndicator(.handoffStateNotChanged),
                      .accessTechnologyType(.virtual), .timestamp(timestamp(at: now)),
                      .ipv4HomeAddressRequest(IPv4HomeAddressRequest())])
        actions += send(.proxyBindingUpdate(update), to: peer)
        actions.append(.notice(.released(mac)))
        return actions
    }

    // MARK: - Timers

    private mutating func fireTimers(at now: Double) -> [SiteAgentAction] {
        var actions: [SiteAgentAction] = []
        for (mac, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let deadline = entry.deadline, deadline <= now else { continue }
            switch entry.state {
            case .registering:
                // RFC 6275 §11.8: double the timeout, up to MAX_BINDACK_TIMEOUT.
                var updated = entry
                updated.timeout = min(entry.timeout * 2, policy.timers.maximumRetransmission)
                entries[mac] = updated
                actions += transmit(mac, lifetime: policy.timers.requestedLifetime, at: now)
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
                updated.timeout = retransmissionTimeout(for: entry.homeAgent)
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
