import GLMWire

/// An event worth a log line and a metric. The runtime decides how to render them.
public enum HomeAgentNotice: Hashable, Sendable {
    /// Why a binding went away.
    public enum Removal: String, Hashable, Sendable {
        case deregistered, expired, cameHome = "came-home", administrative, policy
    }

    case bindingCreated(Binding, latency: Double)
    case bindingMoved(Binding, fromSite: String, latency: Double)
    case bindingRefreshed(Binding)
    case bindingRemoved(Binding, Removal)
    /// A site prepares to receive a VM (make-before-break).
    case preparationAdded(Preparation)
    /// A preparation is over.
    case preparationEnded(Preparation, PreparationEnd)
    /// A PBU answered with a refusing status; nothing changed.
    case registrationRefused(BindingAcknowledgementStatus, vm: MobileNodeIdentifier?, site: String, reason: String)
    /// A hypervisor of this agent's own site says the VM is there (home), or that its
    /// return there is `prepared`.
    case atHome(vm: MACAddress, host: IPv4Address, prepared: Bool)
    /// A refresh or de-registration from a site that no longer holds the binding.
    case staleUpdateIgnored(vm: MACAddress, site: String, current: String)
    /// A datagram that did not decode; no reply was sent.
    case malformed(from: IPv4Address, reason: String)
    /// A message that failed authentication (other than a PBU, which is answered 146).
    case unauthenticated(from: IPv4Address, verdict: AuthenticationVerdict)
    /// A datagram from an address that is no configured site; dropped unanswered.
    case unknownPeer(IPv4Address)
    /// A message this agent does not act on (e.g. a PBA or a site-initiated BRI).
    case ignored(from: IPv4Address, reason: String)
    case revocationSent(vm: MACAddress, site: String, attempt: Int)
    case revocationAcknowledged(vm: MACAddress, site: String, status: RevocationStatus)
    case revocationAbandoned(vm: MACAddress, site: String)
    case peerRestarted(site: String, restartCounter: UInt32)
    /// A site's host stopped answering heartbeats.
    case peerUnreachable(site: String, host: IPv4Address)
    case peerReachable(site: String, host: IPv4Address)
}

/// How a preparation ended.
public enum PreparationEnd: String, Hashable, Sendable {
    /// The VM arrived at the prepared site.
    case completed
    /// The site withdrew it (the migration failed).
    case aborted
    /// Another site's preparation took its place.
    case replaced
    /// Its lifetime ended without the VM arriving.
    case expired
}
