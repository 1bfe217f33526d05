import GLMWire
import NIOCore

extension SiteAgentCore {
    mutating func receive(_ bytes: ByteBuffer, from: IPv4Address, port: UInt16, at now: Double) -> [SiteAgentAction] {
        let header: MobilityHeader
        do {
            header = try MobilityHeader(decoding: bytes)
        } catch {
            return [.notice(.malformed(from: from, reason: error.description))]
        }
        guard let peer = policy.homeAgent(at: from) else {
            return [.notice(.ignored(from: from, reason: "not a configured home agent"))]
        }
        let verdict = associations.verify(header, bytes: bytes, scope: AuthenticationScope(sender: from, receiver: policy.address))
        guard verdict == .verified(spi: peer.association.spi) else {
            return [.notice(.unauthenticated(from: from, verdict: verdict))] + unverifiable(header, from: peer)
        }
        switch header.message {
        case .proxyBindingAcknowledgement(let pba):
            return acknowledged(pba, from: peer, at: now)
        case .bindingRevocationIndication(let bri):
            return revoked(bri, from: peer, port: port)
        case .heartbeat(let heartbeat):
            return heartbeatReceived(heartbeat, from: peer, at: now)
        case .proxyBindingUpdate, .bindingRevocationAcknowledgement:
            return [.notice(.ignored(from: from, reason: "\(header.message.name) is not sent to a site"))]
        }
    }

    /// A PBA: match it to the PBU it answers, then act on its status (RFC 5213 §6.9.1.2).
    private mutating func acknowledged(_ pba: ProxyBindingAcknowledgement, from peer: HomeAgentPeer,
                                       at now: Double) -> [SiteAgentAction] {
        guard case .eui48(let mac)? = pba.options.mobileNodeIdentifier, let asked = entries[mac],
              asked.homeAgent == peer.address || (asked.homeAgent == nil && asked.candidates.contains(peer.address)),
              asked.sequence == pba.sequenceNumber, asked.state != .unanchored else {
            return [.notice(.ignored(from: peer.address, reason: "PBA \(pba.sequenceNumber) answers no PBU in flight"))]
        }
        // Karn's rule: only an exchange without retransmission measures the round trip.
        if asked.attempts == 1 { measure(now - asked.lastSent, peer: peer.address) }
        let status = pba.status
        if let actions = discovered(status, mac: mac, from: peer, at: now) { return actions }
        if status == .notLMAForThisMobileNode { return anchorLost(mac, from: peer, at: now) }
        guard var entry = entries[mac] else { return [] }
        entry.refreshing = false
        if status == .accepted, peer.address == policy.localHomeAgent, pba.lifetimeUnits == 0 {
            // This site's own home agent: the VM is home on this host, or its return is prepared.
            var actions: [SiteAgentAction] = []
            if case .served(let vm) = entry.state { actions.append(.unserve(vm)) }
            if case .prepared(let vm) = entry.state { actions.append(.unserve(vm)) }
            if let early = entry.early { actions.append(.unserve(early)) }
            entry.early = nil
            entry.refusals = [:]
            if entry.marked {
                entry.state = .returning
                entry.deadline = now + policy.timers.preparationLifetime
                actions.append(.claim(mac, bridge: entry.bridge))
                actions.append(.notice(.returnPrepared(mac)))
            } else {
                entry.state = .home
                entry.deadline = nil
                actions.append(.notice(.atHome(mac)))
            }
            entries[mac] = entry
            return actions
        }
        if status == .accepted {
            guard pba.lifetimeUnits > 0, let reply = pba.options.ipv4HomeAddressReply,
                  let gateway = pba.options.ipv4DefaultRouterAddress else {
                // Accepted with nothing granted: the home agent says this site holds nothing.
                entries[mac] = nil
                var actions: [SiteAgentAction] = []
                if case .served(let vm) = entry.state { actions.append(.unserve(vm)) }
                return actions + [.notice(.released(mac))]
            }
            let framing: TunnelFrame.Format
            if case .some(.some(let key)) = pba.options.greKey {
                framing = .tlvGRE(key: key)
            } else {
                framing = pba.flags.contains(.tlvHeaderFormat) ? .tlv : .bare
            }
            let vm = ServedVM(vm: mac, address: reply.address, prefixLength: reply.prefixLength, gateway: gateway,
                              homeAgent: peer.address, framing: framing, bridge: entry.bridge)
            let lifetime = Double(pba.lifetimeSeconds)
            if entry.marked {
                // The preparation is accepted: serve the VM here now, so that its first
                // packets after it resumes go straight into the tunnel.
                entry.state = .prepared(vm)
                entry.deadline = now + lifetime
                entries[mac] = entry
                return [.serve(vm), .notice(.prepared(vm))]
            }
            var actions: [SiteAgentAction] = []
            let wasServed: ServedVM? = if case .served(let old) = entry.state { old } else { entry.early }
            if entry.early != nil { actions.append(.notice(.preparationEnded(mac, outcome: "completed"))) }
            entry.early = nil
            entry.refusals = [:]
            entry.state = .served(vm)
            entry.lifetime = lifetime
            entry.expiresAt = now + lifetime
            entry.deadline = now + lifetime * policy.timers.refreshFraction
            entries[mac] = entry
            if wasServed == vm {
                actions.append(.notice(.refreshed(mac)))
            } else {
                if let wasServed { actions.append(.unserve(wasServed)) }
                actions.append(.serve(vm))
                actions.append(.notice(.registered(vm, latency: now - entry.firstSent)))
            }
            return actions
        }
        // Refusals: retry at once when a fresh Timestamp cures it, later when the cause may
        // pass, after a long pause when only an operator can fix it.
        let retry: Double?
        switch status {
        case .timestampMismatch:
            // RFC 5213 §6.9.1.2: the PBA carries the home agent's clock; adopt its offset.
            if let theirs = pba.options.timestamp {
                clockOffset = theirs.secondsSince1970 - now
            }
            retry = 0
        case .timestampLowerThanPreviouslyAccepted:
            retry = 0
        case .unspecified, .insufficientResources:
            retry = entry.timeout * 2
        default:
            retry = policy.timers.refusedRetry
        }
        entry.refusals[peer.name] = status
        var actions: [SiteAgentAction] = [.notice(.refused(mac, homeAgent: peer.name, status: status, retryIn: retry))]
        if case .served(let vm) = entry.state, status != .timestampMismatch, status != .timestampLowerThanPreviouslyAccepted {
            // Refused outright: the home agent will not send here.
            actions.append(.unserve(vm))
            entry.state = .registering
        }
        if let retry, retry == 0, entry.attempts < 3 {
            entries[mac] = entry
            entry.sequence = nextSequence
            nextSequence &+= 1
            entries[mac] = entry
            return actions + transmit(mac, lifetime: policy.timers.requestedLifetime, at: now)
        }
        entry.deadline = now + (retry == 0 ? entry.timeout : retry ?? policy.timers.refusedRetry)
        entry.sequence = nextSequence
        nextSequence &+= 1
        entry.attempts = 0
        entries[mac] = entry
        return actions
    }

    /// A PBA that does not verify, answering a PBU in flight: most likely the keys or SPIs
    /// of the two ends differ. Nothing changes (the exchange goes on retransmitting); the
    /// VM's status and the refusal metric say so, as a refusal 146 would.
    private mutating func unverifiable(_ header: MobilityHeader, from peer: HomeAgentPeer) -> [SiteAgentAction] {
        guard case .proxyBindingAcknowledgement(let pba) = header.message,
              case .eui48(let mac)? = pba.options.mobileNodeIdentifier, let entry = entries[mac],
              entry.homeAgent == peer.address || entry.candidates.contains(peer.address),
              entry.sequence == pba.sequenceNumber, entry.refusals[peer.name] != .authenticationFailed else { return [] }
        entries[mac]?.refusals[peer.name] = .authenticationFailed
        return [.notice(.refused(mac, homeAgent: peer.name, status: .authenticationFailed, retryIn: nil))]
    }

    /// Folds a round-trip sample into the estimate (RFC 6298 §2).
    private mutating func measure(_ sample: Double, peer address: IPv4Address) {
        guard var peer = peers[address] else { return }
        if peer.measured {
            peer.roundTripVariance = 0.75 * peer.roundTripVariance + 0.25 * abs(peer.smoothedRoundTrip - sample)
            peer.smoothedRoundTrip = 0.875 * peer.smoothedRoundTrip + 0.125 * sample
        } else {
            // The first measurement replaces the configured guess (RFC 6298 §2.2).
            peer.smoothedRoundTrip = sample
            peer.roundTripVariance = sample / 2
            peer.measured = true
        }
        peers[address] = peer
    }

    /// A BRI: the VM's binding here is gone (it moved on, or an operator removed it).
    private mutating func revoked(_ bri: BindingRevocationIndication, from peer: HomeAgentPeer, port: UInt16) -> [SiteAgentAction] {
        var actions: [SiteAgentAction] = []
        var status = RevocationStatus.bindingDoesNotExist
        if case .eui48(let mac)? = bri.options.mobileNodeIdentifier, let entry = entries[mac], entry.homeAgent == peer.address {
            entries[mac] = nil
            if case .served(let vm) = entry.state { actions.append(.unserve(vm)) }
            actions.append(.notice(.revoked(mac, trigger: bri.trigger)))
            status = .success
        }
        let bra = BindingRevocationAcknowledgement(
            status: status, sequenceNumber: bri.sequenceNumber, flags: bri.flags,
            options: bri.options.mobileNodeIdentifier.map { [.mobileNodeIdentifier($0)] } ?? [])
        var path = peer
        path.port = port
        return actions + send(.bindingRevocationAcknowledgement(bra), to: path)
    }

    // MARK: - Heartbeats (RFC 5847)

    /// A home agent's request is answered with a request of our own at most this often.
    static let heartbeatEchoInterval: Double = 1

    mutating func heartbeat(_ address: IPv4Address, at now: Double) -> [SiteAgentAction] {
        guard var peer = peers[address], let homeAgent = policy.homeAgent(at: address) else { return [] }
        var actions: [SiteAgentAction] = []
        if peer.outstanding.count >= policy.timers.missingHeartbeatsAllowed, !peer.unreachable {
            peer.unreachable = true
            actions.append(.notice(.homeAgentUnreachable(homeAgent.name)))
        }
        let sequence = nextHeartbeatSequence
        nextHeartbeatSequence &+= 1
        peer.outstanding = Array((peer.outstanding + [sequence]).suffix(policy.timers.missingHeartbeatsAllowed + 1))
        peer.nextHeartbeat = now + policy.timers.heartbeatInterval
        peer.lastSequence = sequence
        peer.lastSent = now
        peers[address] = peer
        return actions + send(.heartbeat(Heartbeat(sequenceNumber: sequence)), to: homeAgent)
    }

    private mutating func heartbeatReceived(_ heartbeat: Heartbeat, from homeAgent: HomeAgentPeer,
                                            at now: Double) -> [SiteAgentAction] {
        guard heartbeat.isResponse else {
            // Answer with our own counter; a site agent keeps no persistent state, so it
            // answers with 0 and relearns its VMs from the bridges at start.
            var actions = send(.heartbeat(Heartbeat(flags: [.response], sequenceNumber: heartbeat.sequenceNumber,
                                                    options: [.restartCounter(0)])), to: homeAgent)
            // A home agent asks at once when it starts: ask back, so that its Restart
            // Counter (only in responses, RFC 5847 §3.4) arrives within a round trip.
            if let peer = peers[homeAgent.address], peer.outstanding.isEmpty,
               now - peer.lastResponse >= Self.heartbeatEchoInterval {
                actions += self.heartbeat(homeAgent.address, at: now)
            }
            return actions
        }
        guard var peer = peers[homeAgent.address] else { return [] }
        var reachable = false
        if peer.outstanding.contains(heartbeat.sequenceNumber) {
            peer.outstanding.removeAll()
            if peer.unreachable { reachable = true }
            peer.unreachable = false
            peer.lastResponse = now
            if heartbeat.sequenceNumber == peer.lastSequence { peer.heartbeatRoundTrip = max(0, now - peer.lastSent) }
        }
        var actions: [SiteAgentAction] = reachable ? [.notice(.homeAgentReachable(homeAgent.name))] : []
        if let counter = heartbeat.options.restartCounter {
            let restarted = peer.restartCounter.map { $0 != counter } ?? false
            peer.restartCounter = counter
            peers[homeAgent.address] = peer
            if restarted {
                // The home agent restarted and may have lost state: register again every
                // VM served here through it.
                actions.append(.notice(.homeAgentRestarted(homeAgent.name, restartCounter: counter)))
                let macs = entries.filter {
                    guard $0.value.homeAgent == homeAgent.address else { return false }
                    switch $0.value.state {
                    case .served, .registering: return true
                    default: return false
                    }
                }.keys.sorted()
                for mac in macs {
                    actions += startRegistration(mac, handoff: .handoffStateNotChanged, at: now)
                }
            }
        } else {
            peers[homeAgent.address] = peer
        }
        return actions
    }
}
