import GLMWire

extension HomeAgentCore {
    /// Handles an authenticated PBU (RFC 5213 §5.3, as profiled in Docs/protocol.md §3).
    mutating func register(_ update: ProxyBindingUpdate, reply: ReplyPath, at now: Double) -> [HomeAgentAction] {
        let site = reply.site
        // RFC 5213 §5.3.1: checks in order; each refusal changes nothing.
        guard update.flags.contains(.proxy) else {
            return refuse(update, .proxyRegistrationNotEnabled, reply, reason: "P flag not set", at: now)
        }
        guard let identifier = update.options.mobileNodeIdentifier else {
            return refuse(update, .missingMobileNodeIdentifier, reply, reason: "no Mobile Node Identifier", at: now)
        }
        guard let vm = policy.vm(identifiedBy: identifier) else {
            return refuse(update, .notLMAForThisMobileNode, reply, reason: "\(identifier) is not served here", at: now)
        }
        guard site.isHome || vm.allows(site: site.name) else {
            return refuse(update, .magNotAuthorizedForProxyRegistration, reply,
                          reason: "site \(site.name) may not host \(vm.mac)", at: now)
        }
        guard let request = update.options.ipv4HomeAddressRequest else {
            return refuse(update, .notAuthorizedForIPv4Mobility, reply, reason: "no IPv4 Home Address Request", at: now)
        }
        guard request.address == .any || request.address == vm.address else {
            return refuse(update, .notAuthorizedForIPv4HomeAddress, reply,
                          reason: "requested \(request.address), the VM's address is \(vm.address)", at: now)
        }
        // RFC 5213 §5.5: the Timestamp orders updates and stops replays.
        guard let timestamp = update.options.timestamp else {
            return refuse(update, .timestampMismatch, reply, reason: "no Timestamp", at: now)
        }
        let clock = PMIPTimestamp(secondsSince1970: now) ?? PMIPTimestamp(rawValue: 0)
        guard timestamp.isWithin(policy.timers.timestampValidityWindow, of: clock) else {
            return refuse(update, .timestampMismatch, reply,
                          reason: "Timestamp \(Int((clock.distance(to: timestamp) * 1000).rounded())) ms from this clock", at: now)
        }
        if let accepted = acceptedTimestamps[vm.mac], timestamp <= accepted {
            return refuse(update, .timestampLowerThanPreviouslyAccepted, reply,
                          reason: "Timestamp not newer than the last accepted", at: now)
        }
        let framing: TunnelFrame.Format
        if let key = vm.greKey {
            guard update.flags.contains(.tlvHeaderFormat) else {
                return refuse(update, .greKeyRequired, reply, reason: "the tenant uses GRE key \(key); the T flag is needed", at: now)
            }
            framing = .tlvGRE(key: key)
        } else {
            framing = update.flags.contains(.tlvHeaderFormat) ? .tlv : .bare
        }
        if site.isHome {
            acceptedTimestamps[vm.mac] = timestamp
            return atHome(update, vm: vm, framing: framing, reply: reply, at: now)
        }
        if update.options.isPreparation {
            acceptedTimestamps[vm.mac] = timestamp
            return prepare(update, vm: vm, framing: framing, reply: reply, at: now)
        }

        let current = bindings[vm.mac]
        let host = reply.address
        let fromCurrentSite = current?.siteAddress == host
        let handoff = update.options.handoffIndicator
        // A refresh or de-registration from a site that no longer holds the binding is
        // late: it must neither take the binding back nor delete it.
        if let current, !fromCurrentSite,
           update.lifetimeUnits == 0 || handoff == .handoffStateNotChanged || handoff == .handoffBetweenInterfaces {
            acceptedTimestamps[vm.mac] = max(timestamp, acceptedTimestamps[vm.mac] ?? timestamp)
            return [.notice(.staleUpdateIgnored(vm: vm.mac, site: site.name, current: current.siteName))]
                + acknowledge(update, vm: vm, lifetimeUnits: 0, framing: framing, reply)
        }
        acceptedTimestamps[vm.mac] = timestamp
        let latency = max(0, timestamp.distance(to: clock))

        if update.lifetimeUnits == 0 {
            // De-registration (RFC 5213 §5.3.5). Here the VM has left the site, so there is
            // nothing to deliver there during a grace period: the binding goes at once.
            var actions: [HomeAgentAction] = []
            if let current, fromCurrentSite {
                actions += remove(current, reason: .deregistered, trigger: nil, at: now)
            }
            return actions + acknowledge(update, vm: vm, lifetimeUnits: 0, framing: framing, reply)
        }

        let lifetime = min(Double(update.lifetimeSeconds), policy.timers.maximumLifetime)
        let binding = Binding(
            vm: vm.mac, homeAddress: vm.address, siteName: site.name, siteAddress: host, sitePort: reply.port,
            timestamp: timestamp, sequenceNumber: update.sequenceNumber, lifetime: lifetime,
            registeredAt: fromCurrentSite ? current!.registeredAt : now, expiresAt: now + lifetime, framing: framing)
        bindings[vm.mac] = binding
        deadlines.insert(.expiry(vm.mac), at: binding.expiresAt)
        schedulePeer(host, at: now)
        // The move's PBA and the old site's revocation follow the durable write.
        var actions: [HomeAgentAction] = [.persist(binding)]
        if let current, !fromCurrentSite {
            actions.append(.move(AwayVM(binding)))
            actions.append(.notice(.bindingMoved(binding, fromSite: current.siteName, latency: latency)))
        } else if current == nil {
            actions.append(.attach(AwayVM(binding)))
            actions.append(.notice(.bindingCreated(binding, latency: latency)))
        } else {
            if current?.framing != framing { actions.append(.move(AwayVM(binding))) }
            actions.append(.notice(.bindingRefreshed(binding)))
        }
        // A preparation there is complete; its bicast ends once the binding points there.
        actions += completePreparation(vm.mac, at: host)
        let units = UInt16(min(Double(UInt16.max), (lifetime / 4).rounded(.down)))
        actions += acknowledge(update, vm: vm, lifetimeUnits: units, framing: framing, reply)
        if let current, !fromCurrentSite {
            actions += revoke(current, trigger: .interMAGHandoverSameAccessType, at: now)
        }
        return actions
    }

    /// A PBU from a hypervisor of this agent's own site: the VM is home there (Docs/protocol.md
    /// §10). An ordinary update ends its binding as an announce on the home LAN does (the
    /// old site is revoked); a marked one prepares the return (the downlink is copied onto
    /// the home LAN) or, with lifetime 0, withdraws that preparation. The PBA accepts with
    /// lifetime 0: nothing is anchored at a home hypervisor.
    private mutating func atHome(_ update: ProxyBindingUpdate, vm: VMPolicy, framing: TunnelFrame.Format,
                                 reply: ReplyPath, at now: Double) -> [HomeAgentAction] {
        var actions: [HomeAgentAction] = []
        let marked = update.options.isPreparation
        if marked {
            actions += update.lifetimeUnits == 0 ? abortReturnHome(vm.mac) : prepareReturnHome(vm.mac, at: now)
        } else if update.lifetimeUnits > 0, let binding = bindings[vm.mac] {
            actions += remove(binding, reason: .cameHome, trigger: .interMAGHandoverSameAccessType, at: now)
                + completePreparation(vm.mac, at: policy.address)
        }
        return actions + [.notice(.atHome(vm: vm.mac, host: reply.address, prepared: marked && update.lifetimeUnits > 0))]
            + acknowledge(update, vm: vm, lifetimeUnits: 0, framing: framing, marked: marked, reply)
    }

    /// A PBA with status 0 carrying the VM's address, gateway and (for a tenant) GRE key.
    /// `marked` echoes GLM's preparation mark (the PBA of a preparation).
    func acknowledge(_ update: ProxyBindingUpdate, vm: VMPolicy, lifetimeUnits: UInt16,
                     framing: TunnelFrame.Format, marked: Bool = false, _ reply: ReplyPath) -> [HomeAgentAction] {
        var options: [MobilityOption] = [.mobileNodeIdentifier(update.options.mobileNodeIdentifier ?? .eui48(vm.mac))]
        if let timestamp = update.options.timestamp { options.append(.timestamp(timestamp)) }
        options.append(.ipv4HomeAddressReply(IPv4HomeAddressReply(status: .success, prefixLength: vm.prefixLength, address: vm.address)))
        options.append(.ipv4DefaultRouterAddress(vm.gateway))
        var flags: ProxyBindingAcknowledgement.Flags = [.proxy]
        if case .tlvGRE(let key) = framing {
            options.append(.greKey(key))
            flags.insert(.tlvHeaderFormat)
        } else if framing == .tlv {
            flags.insert(.tlvHeaderFormat)
        }
        if marked { options.append(.vendorSpecific(.prepare)) }
        let pba = ProxyBindingAcknowledgement(status: .accepted, flags: flags, sequenceNumber: update.sequenceNumber,
                                              lifetimeUnits: lifetimeUnits, options: options)
        return send(.proxyBindingAcknowledgement(pba), reply).map { [$0] } ?? []
    }

    /// A PBA refusing the update; no binding is touched.
    mutating func refuse(_ update: ProxyBindingUpdate, _ status: BindingAcknowledgementStatus, _ reply: ReplyPath,
                         reason: String, at now: Double) -> [HomeAgentAction] {
        var options: [MobilityOption] = []
        if let identifier = update.options.mobileNodeIdentifier { options.append(.mobileNodeIdentifier(identifier)) }
        // RFC 5213 §5.3.1: a 156/157 refusal carries the LMA's current time.
        if status == .timestampMismatch || status == .timestampLowerThanPreviouslyAccepted,
           let clock = PMIPTimestamp(secondsSince1970: now) {
            options.append(.timestamp(clock))
        } else if let timestamp = update.options.timestamp {
            options.append(.timestamp(timestamp))
        }
        let pba = ProxyBindingAcknowledgement(status: status, flags: [.proxy], sequenceNumber: update.sequenceNumber,
                                              lifetimeUnits: 0, options: options)
        let notice = HomeAgentAction.notice(.registrationRefused(status, vm: update.options.mobileNodeIdentifier,
                                                                 site: reply.site.name, reason: reason))
        return [notice] + (send(.proxyBindingAcknowledgement(pba), reply).map { [$0] } ?? [])
    }
}
