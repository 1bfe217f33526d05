/// One thing that happened at an agent, as `watch` streams it (one JSON object a line).
public struct ControlEvent: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// A VM bound, or served, for the first time (home agent, site agent).
        case registered
        /// A binding moved to another site or host.
        case moved
        /// A binding or a served VM went away (`detail` says why).
        case removed
        /// A revocation sent, acknowledged or abandoned.
        case revocation
        /// A registration refused, or a message that failed authentication.
        case refused
        /// A preparation (make-before-break) began or ended.
        case preparation
        /// A peer stopped or started answering heartbeats, or restarted.
        case peer
        /// A site agent began or ended draining.
        case drain
    }

    /// Seconds since 1970.
    public var time: Double
    public var kind: Kind
    public var vm: String?
    /// The site, host or home agent concerned.
    public var peer: String?
    public var detail: String

    public init(time: Double, kind: Kind, vm: String? = nil, peer: String? = nil, detail: String) {
        self.time = time
        self.kind = kind
        self.vm = vm
        self.peer = peer
        self.detail = detail
    }
}
