import GLMWire
import NIOCore

/// Something that happened at the site, handed to ``SiteAgentCore/handle(_:at:)``.
public enum SiteAgentEvent: Sendable {
    /// A frame captured on a host bridge (Ethernet), and the bridge's name when known:
    /// a VM's announce (it is served on the bridge it announced itself on), or an ARP
    /// request from a VM served here. The runtime hands over only announces that came
    /// from this host's own ports, never ones that came in over the LAN uplink.
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
    /// A hook or orchestrator says the VM is about to be migrated here (libvirt's
    /// `migrate begin` on this host): prepare (make-before-break, `Docs/protocol.md` §9).
    case incoming(MACAddress, bridge: String? = nil)
    /// The migration that `incoming` announced failed: undo the preparation.
    case aborted(MACAddress)
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
    /// Send a served VM the ARP reply it asked for.
    case answerARP(ARPAnswer)
    /// A VM's return home to this host is prepared: teach the site's LAN that the VM's MAC
    /// is behind this host, so that the copies its home agent puts on the LAN reach the
    /// port the incoming VM waits on, not the hypervisor it left the LAN from.
    case claim(MACAddress, bridge: String?)
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
    case refused(MACAddress, homeAgent: String, status: BindingAcknowledgementStatus, retryIn: Double?)
    /// No home agent accepts the VM: each refused (153 from those that do not list it).
    case unanchored(MACAddress, refusals: [String: BindingAcknowledgementStatus], retryIn: Double)
    /// This site's own home agent says the VM is home here: nothing to serve.
    case atHome(MACAddress)
    /// Its own home agent prepared the VM's return home to this host.
    case returnPrepared(MACAddress)
    case revoked(MACAddress, trigger: RevocationTrigger)
    case released(MACAddress)
    /// A preparation's PBU went out for the VM.
    case preparing(MACAddress, homeAgent: String)
    /// The home agent accepted the preparation: the VM is served here before it arrives.
    case prepared(ServedVM)
    /// A preparation ended without the VM arriving: `aborted` or `expired`.
    case preparationEnded(MACAddress, outcome: String)
    case homeAgentRestarted(String, restartCounter: UInt32)
    case homeAgentUnreachable(String)
    /// A home agent that was unreachable answers heartbeats again.
    case homeAgentReachable(String)
    case malformed(from: IPv4Address, reason: String)
    case unauthenticated(from: IPv4Address, verdict: AuthenticationVerdict)
    case ignored(from: IPv4Address, reason: String)
}
