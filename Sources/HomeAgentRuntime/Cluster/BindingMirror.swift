import Etcd
import Foundation
import GLMWire
import HomeAgentCore
import Logging
import Metrics

/// The cluster's bindings as etcd holds them, in every member, kept current by a watch:
/// read once, then changed by each put and delete as etcd commits it. A standby shows
/// them (`bindings`, `status`) without asking etcd; the gauge
/// `glm_cluster_replicated_bindings` lets an operator compare members.
///
/// A member that takes over restores its daemon from the mirror rather than reading a
/// million bindings from etcd again (seconds, through the gateway): the watch covers the
/// whole cluster prefix, so the creation of the new owner key at revision T reaches the
/// mirror after every binding change before it, and once the mirror has seen revision T
/// it holds exactly the bindings of T. No binding changes between T and the new
/// daemon's first commit: the former owner's commits are fenced by its own term.
actor BindingMirror {
    private let client: EtcdClient
    private let keys: ClusterKeys
    private let logger: Logger
    private var bindings: [MACAddress: Binding] = [:]
    /// The revision the mirror reflects: the range's, then each change's.
    private(set) var revision: Int64 = 0
    private let gauge = Gauge(label: "glm_cluster_replicated_bindings")

    init(client: EtcdClient, keys: ClusterKeys, logger: Logger) {
        self.client = client
        self.keys = keys
        self.logger = logger
    }

    var snapshot: [Binding] { bindings.values.sorted { $0.vm < $1.vm } }
    var count: Int { bindings.count }

    /// The bindings as of `revision` (a new term's), once the mirror has seen it; nil if it
    /// has not within `timeout` (a lagging or broken watch: read etcd instead).
    func bindings(asOf revision: Int64, timeout: Duration) async -> [Binding]? {
        let deadline = ContinuousClock.now + timeout
        while self.revision < revision {
            guard ContinuousClock.now < deadline, (try? await Task.sleep(for: .milliseconds(1))) != nil else { return nil }
        }
        return snapshot
    }

    /// Follows etcd until cancelled: a range, then a watch from the next revision; again
    /// from a new range whenever the watch ends (compaction, every endpoint lost).
    func run() async {
        while !Task.isCancelled {
            do {
                let (kvs, revision) = try await client.range(prefix: keys.bindings)
                let read = try EtcdBindingStore.decodeBindings(kvs)
                bindings = Dictionary(read.map { ($0.vm, $0) }, uniquingKeysWith: { _, later in later })
                self.revision = revision
                gauge.record(bindings.count)
                // The whole cluster's prefix: owner and member changes move the revision on too.
                for try await changes in client.watch(prefix: keys.root, from: revision + 1) {
                    for change in changes { apply(change) }
                    gauge.record(bindings.count)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.debug("binding mirror restarts", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    private func apply(_ change: EtcdClient.Change) {
        revision = max(revision, change.kv.modRevision)
        guard change.kv.key.hasPrefix(keys.bindings),
              let mac = MACAddress(change.kv.key.dropFirst(keys.bindings.count)) else { return }
        switch change.kind {
        case .delete:
            bindings[mac] = nil
        case .put:
            do {
                bindings[mac] = try EtcdBindingStore.decode(BindingRecord.self, change.kv).binding()
            } catch {
                logger.warning("a binding in etcd does not decode; the mirror leaves it out", metadata: [
                    "key": "\(change.kv.key)", "error": "\(error)"])
                bindings[mac] = nil
            }
        }
    }
}
