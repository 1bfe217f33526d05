import GLMWire

/// A BRI sent and not yet acknowledged (RFC 5846 §6.3).
struct PendingRevocation: Sendable {
    let revocation: Revocation
    let siteName: String
    let sequenceNumber: UInt16
    let message: MobilityMessage
    var transmissions: Int
    var timeout: Double
}

extension HomeAgentCore {
    /// Revokes `binding` at its site: the revocation is persisted (it outlives this
    /// agent until the BRA), and its BRI sent and tracked.
    mutating func revoke(_ binding: Binding, trigger: RevocationTrigger, at now: Double) -> [HomeAgentAction] {
        let revocation = Revocation(vm: binding.vm, siteAddress: binding.siteAddress, sitePort: binding.sitePort,
                                    trigger: trigger, timestamp: binding.timestamp)
        guard policy.site(at: binding.siteAddress) != nil else { return [] }
        return [.persistRevocation(revocation)] + sendRevocation(revocation, at: now)
    }

    /// Takes back the revocations read from the store at start (after a restart, or by
    /// the member taking a cluster over): each BRI is sent again, with this agent's next
    /// sequence number, and tracked until its BRA. A revocation for a site no longer in
    /// the policy is dropped.
    public mutating func restoreRevocations(_ restored: [Revocation], at now: Double) -> [HomeAgentAction] {
        var actions: [HomeAgentAction] = []
        for revocation in restored {
            guard policy.site(at: revocation.siteAddress) != nil else {
                actions.append(.unpersistRevocation(revocation.key))
                continue
            }
            actions += sendRevocation(revocation, at: now)
        }
        return actions
    }

    /// Sends the first BRI of `revocation` and arms its retransmission.
    private mutating func sendRevocation(_ revocation: Revocation, at now: Double) -> [HomeAgentAction] {
        guard let site = policy.site(at: revocation.siteAddress) else { return [] }
        let sequence = nextRevocationSequence
        nextRevocationSequence &+= 1
        let bri = BindingRevocationIndication(
            trigger: revocation.trigger, sequenceNumber: sequence, flags: [.proxyBinding],
            options: [.mobileNodeIdentifier(.eui48(revocation.vm)), .timestamp(revocation.timestamp)])
        let pending = PendingRevocation(revocation: revocation, siteName: site.name, sequenceNumber: sequence,
                                        message: .bindingRevocationIndication(bri), transmissions: 1,
                                        timeout: policy.timers.revocationInitialTimeout)
        revocations[revocation.key] = pending
        deadlines.insert(.revocation(revocation.key), at: now + pending.timeout)
        return transmit(pending, to: site)
            + [.notice(.revocationSent(vm: revocation.vm, site: site.name, attempt: 1))]
    }

    private func transmit(_ pending: PendingRevocation, to site: SitePolicy) -> [HomeAgentAction] {
        let path = ReplyPath(site: site, address: pending.revocation.siteAddress, port: pending.revocation.sitePort,
                             local: policy.address)
        return send(pending.message, path).map { [$0] } ?? []
    }

    /// A BRI timed out: send it again with the timeout doubled, or give up.
    mutating func retransmitRevocation(_ key: RevocationKey, at now: Double) -> [HomeAgentAction] {
        guard var pending = revocations[key] else { return [] }
        guard let site = policy.site(at: key.site) else {
            revocations[key] = nil
            return [.unpersistRevocation(key)]
        }
        guard pending.transmissions < policy.timers.revocationMaximumTransmissions else {
            revocations[key] = nil
            return [.unpersistRevocation(key), .notice(.revocationAbandoned(vm: key.vm, site: pending.siteName))]
        }
        pending.transmissions += 1
        pending.timeout *= 2
        revocations[key] = pending
        deadlines.insert(.revocation(key), at: now + pending.timeout)
        return transmit(pending, to: site)
            + [.notice(.revocationSent(vm: key.vm, site: pending.siteName, attempt: pending.transmissions))]
    }

    /// A BRA from a site ends the matching revocation.
    mutating func receiveRevocationAcknowledgement(_ acknowledgement: BindingRevocationAcknowledgement,
                                                   site: SitePolicy, from host: IPv4Address) -> [HomeAgentAction] {
        guard let (key, _) = revocations.first(where: {
            $0.key.site == host && $0.value.sequenceNumber == acknowledgement.sequenceNumber
        }) else {
            return [.notice(.ignored(from: host, reason: "BRA \(acknowledgement.sequenceNumber) matches no revocation"))]
        }
        revocations[key] = nil
        return [.unpersistRevocation(key), .notice(.revocationAcknowledged(vm: key.vm, site: site.name, status: acknowledgement.status))]
    }

    /// Whether a revocation of `vm` at the site at `address` is still waiting for its BRA.
    public func isRevocationPending(vm: MACAddress, site address: IPv4Address) -> Bool {
        revocations[RevocationKey(vm: vm, site: address)] != nil
    }
}
