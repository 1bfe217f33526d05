import GLMWire

/// One entry of a tunnel's routing table: which inner addresses travel to and from
/// which peer, in which framing.
///
/// A route covers `address/prefixLength` (32 for one VM). Its ``role`` says on which
/// side of the tunnel those addresses live, and so which inner address of a packet
/// the route is matched against in each direction.
public struct TunnelRoute: Hashable, Sendable {
    /// On which side of the tunnel the route's addresses live.
    public enum Role: Hashable, Sendable {
        /// The addresses are behind the peer: a home agent's route for a VM that is away
        /// at a site, or a site's route for its VMs' home network. Packets *to* them are
        /// sent to the peer; tunnelled packets *from* them are accepted only from the peer.
        case remote
        /// The addresses are here and anchored at the peer: a site agent's route for a
        /// VM it serves, whose home agent is the peer. Packets *from* them are sent to the
        /// peer; tunnelled packets *to* them are accepted only from the peer. Lets one
        /// site serve VMs of several home agents, whatever their correspondents' addresses.
        case anchored
    }

    /// The inner address (or prefix) this route is for.
    public var address: IPv4Address
    /// 0...32; 32 is a host route.
    public var prefixLength: Int
    /// The other end of the tunnel: the outer destination of what this route sends,
    /// and the only outer source accepted for what it admits.
    public var peer: IPv4Address
    /// The framing sent, and the GRE key required on receipt (see ``admits(key:)``).
    public var framing: TunnelFrame.Format
    public var role: Role

    public init(address: IPv4Address, prefixLength: Int = 32, peer: IPv4Address,
                framing: TunnelFrame.Format = .bare, role: Role = .remote) {
        self.address = address
        self.prefixLength = prefixLength
        self.peer = peer
        self.framing = framing
        self.role = role
    }

    /// The GRE key the route's framing carries, if any.
    public var key: UInt32? {
        if case .tlvGRE(let key) = framing { key } else { nil }
    }

    /// Whether a received frame with `key` matches this route: the keys must be equal
    /// (both absent counts as equal). Bare and TLV framing without a key are
    /// interchangeable on receipt; they differ only in what this end sends.
    public func admits(key frameKey: UInt32?) -> Bool {
        key == frameKey
    }

    /// Whether `candidate` lies inside `address/prefixLength`.
    public func covers(_ candidate: IPv4Address) -> Bool {
        candidate.rawValue & Self.mask(prefixLength) == address.rawValue & Self.mask(prefixLength)
    }

    static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32))
    }
}

extension TunnelRoute: CustomStringConvertible {
    public var description: String {
        let framingText: String
        switch framing {
        case .bare: framingText = "bare"
        case .tlv: framingText = "tlv"
        case .tlvGRE(let key): framingText = key.map { "gre key \($0)" } ?? "gre"
        }
        return "\(address)/\(prefixLength) \(role == .remote ? "via" : "anchored at") \(peer) (\(framingText))"
    }
}
