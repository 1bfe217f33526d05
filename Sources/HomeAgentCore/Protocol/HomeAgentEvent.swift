import GLMWire
import NIOCore

/// Something that happened, handed to ``HomeAgentCore/handle(_:at:)`` with its time.
public enum HomeAgentEvent: Sendable {
    /// A UDP datagram arrived on the signaling port.
    case datagram(ByteBuffer, from: IPv4Address, port: UInt16, to: IPv4Address)
    /// The VM's own announce (RARP, as after a migration) was seen on the home LAN:
    /// it is back home.
    case vmAnnouncedAtHome(MACAddress)
    /// ``HomeAgentCore/nextDeadline`` passed.
    case timer
    /// An operator removes a VM's binding (administrative revocation).
    case revoke(MACAddress)
    /// A hypervisor on the home LAN is about to receive the VM (its libvirt hook's
    /// `migrate begin`): prepare its return home (make-before-break).
    case vmIncomingAtHome(MACAddress)
    /// That migration failed: drop the preparation.
    case vmIncomingAtHomeAborted(MACAddress)
}
