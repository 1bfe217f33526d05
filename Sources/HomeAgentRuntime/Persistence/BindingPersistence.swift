import GLMWire
import HomeAgentCore

/// Where the home agent's bindings live between starts: SQLite on the agent's own disk
/// (``BindingStore``, the default for one home agent) or etcd shared by a cluster of
/// them (``EtcdBindingStore``). The daemon sends a PBA only once ``commit(_:)`` returned.
public protocol BindingPersistence: Sendable {
    /// Every stored binding, ordered by VM MAC.
    func storedBindings() async throws -> [Binding]
    /// Every stored preparation, ordered by VM MAC.
    func storedPreparations() async throws -> [Preparation]
    /// Every revocation still owed to a site, ordered by VM MAC and site.
    func storedRevocations() async throws -> [Revocation]
    /// Makes a batch of changes durable, all of them or none.
    func commit(_ changes: BindingChanges) async throws
    /// The restart counter (RFC 5847 §3.3) this start announces in its Heartbeats.
    func restartCounterForStart() async throws -> UInt32
    /// Where the bindings are, for logs: a file or a cluster.
    var location: String { get }
}

/// One batch of binding, preparation and revocation changes, committed together.
public struct BindingChanges: Sendable {
    public var saving: [Binding]
    public var deleting: [MACAddress]
    public var preparing: [Preparation]
    public var unpreparing: [MACAddress]
    public var revoking: [Revocation]
    public var unrevoking: [RevocationKey]

    public init(saving: [Binding] = [], deleting: [MACAddress] = [], preparing: [Preparation] = [], unpreparing: [MACAddress] = [],
                revoking: [Revocation] = [], unrevoking: [RevocationKey] = []) {
        self.saving = saving
        self.deleting = deleting
        self.preparing = preparing
        self.unpreparing = unpreparing
        self.revoking = revoking
        self.unrevoking = unrevoking
    }

    public var isEmpty: Bool {
        saving.isEmpty && deleting.isEmpty && preparing.isEmpty && unpreparing.isEmpty && revoking.isEmpty && unrevoking.isEmpty
    }
}
