import GLMWire
import NIOCore

/// What the runtime must do, in the order given: a binding change is persisted before
/// the PBA that announces it is sent, and the data plane changed before it too.
public enum HomeAgentAction: Sendable {
    /// Send a signed Mobility Header to the address and UDP port.
    case send(ByteBuffer, to: IPv4Address, port: UInt16)
    /// Write the binding (insert or replace) durably before going on.
    case persist(Binding)
    /// Delete the VM's binding durably before going on.
    case unpersist(MACAddress)
    /// The VM is away: answer ARP for it on the home LAN and tunnel it to its site.
    case attach(AwayVM)
    /// The VM moved to another site: tunnel it there instead.
    case move(AwayVM)
    /// The VM is no longer away (or no longer served): withdraw its proxy ARP and route.
    case detach(AwayVM)
    /// A site prepares to receive the VM: bicast its downlink there too, and admit its
    /// packets from there.
    case prepare(AwayVM)
    /// The preparation at that site is over (completed, aborted, replaced or expired).
    case unprepare(AwayVM)
    /// Write the VM's preparation durably (with the binding changes of the same batch).
    case persistPreparation(Preparation)
    /// Delete the VM's preparation durably.
    case unpersistPreparation(MACAddress)
    /// Write the revocation owed to a site durably (with the binding changes of the same
    /// batch), so that it is carried on after a restart or a takeover.
    case persistRevocation(Revocation)
    /// Delete the revocation durably: its BRA came, or it was given up.
    case unpersistRevocation(RevocationKey)
    /// Something to log and count.
    case notice(HomeAgentNotice)
}

extension HomeAgentAction {
    /// The notice, when this action is one (for tests and the runtime's logging).
    public var notice: HomeAgentNotice? {
        if case .notice(let notice) = self { notice } else { nil }
    }
}
