import GLMWire
import HomeAgentCore

/// Where one cluster's state lives in etcd, all under `/glm/<cluster>/`:
///
/// | key | value | lease |
/// |---|---|---|
/// | `bindings/<mac>` | a binding (JSON) | none |
/// | `preparations/<mac>` | a preparation (JSON) | none |
/// | `revocations/<mac>/<site>` | a revocation whose BRA is owed (JSON) | none |
/// | `restart-counter` | decimal | none |
/// | `owner` | the serving member (JSON) | the owner's |
/// | `members/<name>` | a member's addresses (JSON) | the member's |
///
/// Several clusters (sites, or one site's halves) can share one etcd: their prefixes differ.
public struct ClusterKeys: Sendable, Equatable {
    public let cluster: String

    public init(cluster: String) {
        self.cluster = cluster
    }

    public var root: String { "/glm/\(cluster)/" }
    public var bindings: String { root + "bindings/" }
    public var preparations: String { root + "preparations/" }
    public var revocations: String { root + "revocations/" }
    public var restartCounter: String { root + "restart-counter" }
    public var owner: String { root + "owner" }
    public var members: String { root + "members/" }

    public func binding(_ vm: MACAddress) -> String { bindings + vm.description }
    public func preparation(_ vm: MACAddress) -> String { preparations + vm.description }
    public func revocation(_ key: RevocationKey) -> String { revocations + "\(key.vm)/\(key.site)" }
    public func member(_ name: String) -> String { members + name }
}
