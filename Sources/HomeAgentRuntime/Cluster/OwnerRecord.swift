/// The value of a cluster's `owner` key: which member serves the service address now.
public struct OwnerRecord: Codable, Sendable, Equatable {
    /// The member's name.
    public var member: String
    /// The member's own address, where its peers' heartbeats reach it.
    public var peerAddress: String
    /// When it took the address, seconds since 1970 (for status only).
    public var since: Double

    public init(member: String, peerAddress: String, since: Double) {
        self.member = member
        self.peerAddress = peerAddress
        self.since = since
    }
}
