import GLMWire

/// A site preparing to receive a VM (make-before-break, `Docs/protocol.md` §9): the VM's
/// downlink is bicast there too, and its packets from there are admitted, until the VM
/// arrives (the site's ordinary PBU completes the handoff), the site aborts, or the
/// preparation's lifetime ends. The binding itself never moves for a preparation.
public struct Preparation: Hashable, Sendable {
    public var site: AwayVM
    public var siteName: String
    public var expiresAt: Double

    public init(site: AwayVM, siteName: String, expiresAt: Double) {
        self.site = site
        self.siteName = siteName
        self.expiresAt = expiresAt
    }
}

extension HomeAgentCore {
    /// Handles an authenticated PBU carrying GLM's preparation mark, after the ordinary
    /// checks (policy, address, Timestamp) passed.
    mutating func prepare(_ update: ProxyBindingUpdate, vm: VMPolicy, framing: TunnelFrame.Format, reply: ReplyPath,
                          at now: Double) -> [HomeAgentAction] {
        let site = reply.site
        let host = reply.address
        let existing = preparations[vm.mac]
        if update.lifetimeUnits == 0 {
            // `aborted`: the migration failed; only the preparing site may withdraw it.
            guard let existing, existing.site.siteAddress == host else {
                return acknowledge(update, vm: vm, lifetimeUnits: 0, framing: framing, marked: true, reply)
            }
            return end(existing, .aborted) + acknowledge(update, vm: vm, lifetimeUnits: 0, framing: framing, marked: true, reply)
        }
        if bindings[vm.mac]?.siteAddress == host {
            // The VM is already there: nothing to prepare.
            return [.notice(.ignored(from: host, reason: "preparation for \(vm.mac) at its current site"))]
                + acknowledge(update, vm: vm, lifetimeUnits: 0, framing: framing, marked: true, reply)
        }
        let lifetime = min(Double(update.lifetimeSeconds), policy.timers.maximumPreparationLifetime)
        let actions = install(Preparation(
            site: AwayVM(vm: vm.mac, homeAddress: vm.address, siteAddress: host, framing: framing),
            siteName: site.name, expiresAt: now + lifetime))
        let units = UInt16(min(Double(UInt16.max), (lifetime / 4).rounded(.down)))
        return actions + acknowledge(update, vm: vm, lifetimeUnits: units, framing: framing, marked: true, reply)
    }

    /// A hypervisor on the home LAN is about to receive the VM: its downlink is copied onto
    /// the home LAN too (a ``Preparation`` whose site address is this agent's own), so it
    /// waits in the arriving VM's tap; the VM's announce at home completes it.
    mutating func prepareReturnHome(_ mac: MACAddress, at now: Double) -> [HomeAgentAction] {
        guard let binding = bindings[mac] else {
            return [.notice(.ignored(from: policy.address, reason: "return home of \(mac) prepared while it is home"))]
        }
        if preparations[mac]?.site.siteAddress == policy.address { return [] }
        return install(Preparation(
            site: AwayVM(vm: mac, homeAddress: binding.homeAddress, siteAddress: policy.address, framing: .bare),
            siteName: "home", expiresAt: now + policy.timers.maximumPreparationLifetime))
    }

    mutating func abortReturnHome(_ mac: MACAddress) -> [HomeAgentAction] {
        guard let existing = preparations[mac], existing.site.siteAddress == policy.address else { return [] }
        return end(existing, .aborted)
    }

    /// Records `preparation` as its VM's, in place of another site's (two preparations
    /// racing: the newer one stands), and bicasts from now unless that site already was.
    private mutating func install(_ preparation: Preparation) -> [HomeAgentAction] {
        let vm = preparation.site.vm
        let existing = preparations[vm]
        var actions: [HomeAgentAction] = []
        if let existing, existing.site.siteAddress != preparation.site.siteAddress {
            actions += [.unprepare(existing.site), .notice(.preparationEnded(existing, .replaced))]
        }
        preparations[vm] = preparation
        deadlines.insert(.preparation(vm), at: preparation.expiresAt)
        if existing?.site != preparation.site { actions.append(.prepare(preparation.site)) }
        return actions + [.persistPreparation(preparation), .notice(.preparationAdded(preparation))]
    }

    /// Ends `existing`: its bicast, its stored row, and a notice of `how`.
    private mutating func end(_ existing: Preparation, _ how: PreparationEnd) -> [HomeAgentAction] {
        preparations[existing.site.vm] = nil
        return [.unprepare(existing.site), .unpersistPreparation(existing.site.vm), .notice(.preparationEnded(existing, how))]
    }

    /// The VM arrived at `site` (its ordinary PBU was accepted there): the preparation there,
    /// if any, is complete; its bicast ends as the binding moves.
    mutating func completePreparation(_ vm: MACAddress, at site: IPv4Address) -> [HomeAgentAction] {
        guard let existing = preparations[vm], existing.site.siteAddress == site else { return [] }
        return end(existing, .completed)
    }

    /// A preparation's lifetime ended without the VM arriving.
    mutating func expirePreparation(_ vm: MACAddress, at now: Double) -> [HomeAgentAction] {
        guard let existing = preparations[vm], existing.expiresAt <= now else { return [] }
        return end(existing, .expired)
    }

    /// Takes back the preparations read from the store at start (after the bindings):
    /// those still running are bicast again, the others dropped.
    public mutating func restorePreparations(_ restored: [Preparation], at now: Double) -> [HomeAgentAction] {
        var actions: [HomeAgentAction] = []
        for preparation in restored {
            let vm = preparation.site.vm
            let known = policy.vm(mac: vm) != nil
                && (preparation.site.siteAddress == policy.address || policy.site(at: preparation.site.siteAddress) != nil)
            guard known, preparation.expiresAt > now, bindings[vm]?.siteAddress != preparation.site.siteAddress else {
                actions.append(.unpersistPreparation(vm))
                continue
            }
            preparations[vm] = preparation
            deadlines.insert(.preparation(vm), at: preparation.expiresAt)
            actions.append(.prepare(preparation.site))
        }
        return actions
    }
}
