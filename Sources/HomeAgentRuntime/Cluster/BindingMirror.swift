import Etcd
import Foundation
import GLMWire
import HomeAgentCore
import Logging
import Metrics

/// The cluster's bindings as etcd holds them, in every member, kept current by a watch:
/// read once, then changed by each put and delete as etcd commits it. A standby shows
/// them (`bindings`, `status`) without asking etcd; the gauge
/// `glm_cluster_replicated_bindings` lets an operator compare members. A member that
/// takes over still reads etcd itself (linearizably) before it serves: the mirror may
/// lag by a change or two.
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

    /// Follows etcd until cancelled: a range, then a watch from the next revision; again
    /// from a new range whenever the watch ends (compaction, every endpoint lost).
    func run() async {
        while !Task.isCancelled {
            do {
                let (kvs, revision) = try await client.range(prefix: keys.bindings)
                var fresh: [MACAddress: Binding] = [:]
                for kv in kvs {
                    let binding = try EtcdBindingStore.decode(BindingRecord.self, kv).binding()
                    fresh[binding.vm] = binding
                }
                bindings = fresh
                self.revision = revision
                gauge.record(bindings.count)
                for try await changes in client.watch(prefix: keys.bindings, from: revision + 1) {
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
        guard let mac = MACAddress(change.kv.key.dropFirst(keys.bindings.count)) else { return }
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
