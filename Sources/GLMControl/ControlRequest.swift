/// One request to an agent's control socket: a JSON object on one line, such as
/// `{"request":"status"}` or `{"request":"revoke","vm":"52:54:00:12:34:56"}`.
///
/// Which requests each agent takes is in ``Kind``; one it does not take is answered with
/// a ``ControlFailure`` naming the ones it does.
public struct ControlRequest: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// Either agent: its peers' health and its own (``HomeAgentStatus``, ``SiteAgentStatus``).
        case status
        /// Either agent: a stream of ``ControlEvent``s, one JSON object a line, until the client closes.
        case watch
        /// Home agent: the binding cache (``BindingEntry``s).
        case bindings
        /// Home agent: the preparations (``PreparationEntry``s).
        case preparations
        /// Home agent in a cluster: ``ClusterStatus``.
        case cluster
        /// Home agent: remove `vm`'s binding and revoke it at its site (``ControlAcknowledgement``).
        case revoke
        /// Either agent: a hook's news of `vm` (`event`: see ``NotifyEvent``).
        case notify
        /// Site agent: refuse arrivals until ``undrain`` (``ControlAcknowledgement``).
        case drain
        /// Site agent: accept arrivals again.
        case undrain
    }

    /// What a libvirt hook or an orchestrator tells an agent about a VM.
    public enum NotifyEvent: String, Codable, Hashable, Sendable, CaseIterable {
        /// The VM runs on this host (site agent).
        case arrived
        /// It left this host (site agent).
        case departed
        /// A migration to this host begins (either agent: at a home agent, a hypervisor of
        /// its own LAN receives the VM back).
        case incoming
        /// That migration failed.
        case aborted
    }

    public var request: Kind
    public var vm: String?
    public var event: NotifyEvent?

    public init(_ request: Kind, vm: String? = nil, event: NotifyEvent? = nil) {
        self.request = request
        self.vm = vm
        self.event = event
    }

    public static let status = ControlRequest(.status)
    public static let watch = ControlRequest(.watch)
    public static let bindings = ControlRequest(.bindings)
    public static let preparations = ControlRequest(.preparations)
    public static let cluster = ControlRequest(.cluster)
    public static let drain = ControlRequest(.drain)
    public static let undrain = ControlRequest(.undrain)

    public static func revoke(_ vm: String) -> ControlRequest { ControlRequest(.revoke, vm: vm) }
    public static func notify(_ event: NotifyEvent, vm: String) -> ControlRequest { ControlRequest(.notify, vm: vm, event: event) }
}
