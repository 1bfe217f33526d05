import GLMWire

/// A site that may register VMs with this home agent: its signaling address and the
/// security association its messages must verify with.
public struct SitePolicy: Sendable {
    /// The operator's name for the site (unique), used in logs, metrics and policy.
    public var name: String
    /// The site agent's signaling address: PBUs must come from it, replies go to it.
    public var address: IPv4Address
    public var association: SecurityAssociation

    public init(name: String, address: IPv4Address, association: SecurityAssociation) {
        self.name = name
        self.address = address
        self.association = association
    }
}
