import GLMWire
import NIOCore

/// Something that happened at the site, handed to ``SiteAgentCore/handle(_:at:)``.
public enum SiteAgentEvent: Sendable {
    /// A frame captured on a host bridge (Ethernet), and the bridge's name when known:
    /// the VM is served on the bridge it announced itself on.
    case frame([UInt8], bridge: String? = nil)
    /// A datagram on the signaling socket.
    case datagram(ByteBuffer, from: IPv4Address, port: UInt16)
    /// ``SiteAgentCore/nextDeadline`` passed.
    case timer
    /// A hook or orchestrator says the VM arrived on this host (on `bridge`, when the
    /// runtime found it in a bridge's forwarding table).
    case arrived(MACAddress, bridge: String? = nil)
    /// A hook or orchestrator says the VM left this host.
    case departed(MACAddress)
    /// At start: VMs found on the host's bridges (their forwarding tables), which may
    /// have been registered before a restart.
    case present([MACAddress], bridge: String? = nil)
}

/// What the runtime must do, in order.
public enum SiteAgentAction: Sendable {
    case send(ByteBuffer, to: IPv4Address, port: UInt16)
    /// Serve the VM here: impersonate its gateway, tunnel its traffic home.
    case serve(ServedVM)
    /// Stop serving it.
    case unserve(ServedVM)
    case notice(SiteAgentNotice)

    public var notice: SiteAgentNotice? {
        if case .notice(let notice) = self { notice } else { nil }
    }
}

/// Events worth a log line and a metric.
public enum SiteAgentNotice: Hashable, Sendable {
    case announceSeen(MACAddress)
    case registrationSent(MACAddress, homeAgent: String, attempt: Int, handoff: HandoffIndicator)
    case registered(ServedVM, latency: Double)
    case refreshed(MACAddress)
    case refused(MACAddress, status: BindingAcknowledgementStatus, retryIn: Double?)
    case revoked(MACAddress, trigger: RevocationTrigger)
    case released(MACAddress)
    case homeAgentRestarted(String, restartCounter: UInt32)
    case homeAgentUnreachable(String)
    case malformed(from: IPv4Address, reason: String)
    case unauthenticated(from: IPv4Address, verdict: AuthenticationVerdict)
    case ignored(from: IPv4Address, reason: String)
}
