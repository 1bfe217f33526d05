import GLMWire

/// Which revocation: of which VM, at which site.
struct RevocationKey: Hashable, Sendable {
    let vm: MACAddress
    let site: IPv4Address
}

/// A BRI sent and not yet acknowledged (RFC 5846 §6.3).
struct PendingRevocation: Sendable {
    let siteName: String
    let port: UInt16
    let sequenceNumber: UInt16
    let message: MobilityMessage
    var transmissions: Int
    var timeout: Double
}

extension HomeAgentCore {
    /// Sends a BRI for `binding` to its site and tracks it until its BRA.
    mutating func revoke(_ binding: Binding, trigger: RevocationTrigger, at now: Double) -> [HomeAgentAction] {
        guard let site = policy.site(at: binding.siteAddress) else { return [] }
        let sequence = nextRevocationSequence
        nextRevocationSequence &+= 1
        let bri = BindingRevocationIndication(
            trigger: trigger, sequenceNumber: sequence, flags: [.proxyBinding],
            options: [.mobileNodeIdentifier(.eui48(binding.vm)), .timestamp(binding.timestamp)])
        let key = RevocationKey(vm: binding.vm, site: binding.siteAddress)
        let pending = PendingRevocation(siteName: site.name, port: binding.sitePort, sequenceNumber: sequence,
                                        message: .bindingRevocationIndication(bri), transmissions: 1,
                                        timeout: policy.timers.revocationInitialTimeout)
        revocations[key] = pending
        deadlines.insert(.revocation(key), at: now + pending.timeout)
        return transmit(pending, to: site, at: binding.siteAddress)
            + [.notice(.revocationSent(vm: binding.vm, site: site.name, attempt: 1))]
    }

    private func transmit(_ pending: PendingRevocation, to site: SitePolicy, at host: IPv4Address) -> [HomeAgentAction] {
        let path = ReplyPath(site: site, address: host, port: pending.port, local: policy.address)
        return send(pending.message, path).map { [$0] } ?? []
    }

    /// A BRI timed out: send it again with the timeout doubled, or give up.
    mutating func retransmitRevocation(_ key: RevocationKey, at now: Double) -> [HomeAgentAction] {
        guard var pending = revocations[key], let site = policy.site(at: key.site) else {
            revocations[key] = nil
            return []
        }
        guard pending.transmissions < policy.timers.revocationMaximumTransmissions else {
            revocations[key] = nil
            return [.notice(.revocationAbandoned(vm: key.vm, site: pending.siteName))]
        }
        pending.transmissions += 1
        pending.timeout *= 2
        revocations[key] = pending
        deadlines.insert(.revocation(key), at: now + pending.timeout)
        return transmit(pending, to: site, at: key.site)
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
        return [.notice(.revocationAcknowledged(vm: key.vm, site: site.name, status: acknowledgement.status))]
    }

    /// Whether a revocation of `vm` at the site at `address` is still waiting for its BRA.
    public func isRevocationPending(vm: MACAddress, site address: IPv4Address) -> Bool {
        revocations[RevocationKey(vm: vm, site: address)] != nil
    }
}
