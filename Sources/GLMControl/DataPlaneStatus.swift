/// What moves an agent's tunnelled packets: `ebpf` or `user-space`, as
/// `tunnel.implementation` chose at start; and, with `ebpf`, whether the programs leave
/// every packet to the user-space path because the kernel refused a map update. Packets
/// still go where the routes say, at user-space speed, until a later route change
/// rewrites the maps whole.
public struct DataPlaneStatus: Codable, Hashable, Sendable {
    public var implementation: String
    public var passingAllToUserSpace: Bool

    public init(implementation: String, passingAllToUserSpace: Bool = false) {
        self.implementation = implementation
        self.passingAllToUserSpace = passingAllToUserSpace
    }
}
