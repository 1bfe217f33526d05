import Etcd
import Foundation
import GLMWire
import HomeAgentCore
import Synchronization

/// The binding cache in etcd, for the member of a cluster that serves it now.
///
/// Every commit is one etcd transaction fenced by the member's ownership: it runs only
/// if the cluster's `owner` key still has the creation revision it had when this member
/// took it (its term). A member whose lease ran out, and whose owner key another member
/// has since created, can therefore never change a binding again: its commit fails,
/// its PBAs are withheld, and it learns that it lost the cluster (``OwnershipLost``).
/// etcd commits a transaction on a quorum of its members before answering, so once
/// ``commit(_:)`` returns the change survives the loss of any one machine.
public final class EtcdBindingStore: BindingPersistence {
    public let client: EtcdClient
    public let keys: ClusterKeys
    /// The owner key's creation revision in this member's term.
    public let term: Int64
    /// The most operations one transaction carries (etcd's `--max-txn-ops` is 128 by
    /// default); a larger batch is committed in several fenced transactions before any
    /// of its acknowledgements leaves.
    public static let operationsPerTransaction = 120

    /// The bindings as of the term's start when the caller already holds them (a member's
    /// mirror, kept by a watch): the daemon restores those instead of reading etcd.
    private let bindingsAtStart: [Binding]?

    public init(client: EtcdClient, keys: ClusterKeys, term: Int64, bindingsAtStart: [Binding]? = nil) {
        self.client = client
        self.keys = keys
        self.term = term
        self.bindingsAtStart = bindingsAtStart
    }

    public var location: String { "etcd \(client.configuration.endpoints.joined(separator: ",")) \(keys.root)" }

    public func storedBindings() async throws -> [Binding] {
        if let bindingsAtStart { return bindingsAtStart }
        return try await Self.bindings(client: client, keys: keys)
    }

    public func storedPreparations() async throws -> [Preparation] {
        try await client.range(prefix: keys.preparations).kvs.map { kv throws in
            try Self.decode(PreparationRecord.self, kv).preparation()
        }.sorted { $0.site.vm < $1.site.vm }
    }

    public func storedRevocations() async throws -> [Revocation] {
        try await client.range(prefix: keys.revocations).kvs.map { kv throws in
            try Self.decode(RevocationRecord.self, kv).revocation()
        }.sorted { $0.key < $1.key }
    }

    /// Every binding stored under `keys`, as any member (serving or not) reads them.
    public static func bindings(client: EtcdClient, keys: ClusterKeys) async throws -> [Binding] {
        try decodeBindings(try await client.range(prefix: keys.bindings).kvs)
    }

    /// The bindings that values read from `bindings/` hold, ordered by VM MAC: decoded in
    /// parts on every core (a million take seconds on one).
    public static func decodeBindings(_ kvs: [KeyValue]) throws -> [Binding] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, kvs.count / 4096))
        let size = (kvs.count + parts - 1) / max(parts, 1)
        let results = Mutex<[Int: Result<[Binding], BindingStoreError>]>([:])
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let decoder = JSONDecoder()
            var decoded: [Binding] = []
            decoded.reserveCapacity(size)
            let result = Result { () throws(BindingStoreError) -> [Binding] in
                for kv in kvs[min(part * size, kvs.count)..<min((part + 1) * size, kvs.count)] {
                    decoded.append(try decode(BindingRecord.self, kv, with: decoder).binding())
                }
                return decoded
            }
            results.withLock { $0[part] = result }
        }
        var bindings: [Binding] = []
        bindings.reserveCapacity(kvs.count)
        for part in 0..<parts {
            guard let result = results.withLock({ $0[part] }) else { continue }
            bindings += try result.get()
        }
        // Keys are MACs as text, in key order already; sorted here by the MAC's value.
        return bindings.sorted { $0.vm < $1.vm }
    }

    public func commit(_ changes: BindingChanges) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var operations: [Etcd.Operation] = []
        for binding in changes.saving {
            operations.append(.put(keys.binding(binding.vm), Array(try encoder.encode(BindingRecord(binding)))))
        }
        for vm in changes.deleting { operations.append(.delete(keys.binding(vm))) }
        for preparation in changes.preparing {
            operations.append(.put(keys.preparation(preparation.site.vm), Array(try encoder.encode(PreparationRecord(preparation)))))
        }
        for vm in changes.unpreparing { operations.append(.delete(keys.preparation(vm))) }
        for revocation in changes.revoking {
            operations.append(.put(keys.revocation(revocation.key), Array(try encoder.encode(RevocationRecord(revocation)))))
        }
        for key in changes.unrevoking { operations.append(.delete(keys.revocation(key))) }
        var start = 0
        while start < operations.count {
            let end = min(start + Self.operationsPerTransaction, operations.count)
            let result = try await client.transaction(Transaction(
                compare: [.createRevision(keys.owner, .equal, term)],
                success: Array(operations[start..<end]),
                failure: [.get(keys.owner)]))
            guard result.succeeded else {
                let holder = result.reads.first?.first.flatMap { try? JSONDecoder().decode(OwnerRecord.self, from: Data($0.value)) }
                throw OwnershipLost(cluster: keys.cluster, term: term, holder: holder?.member)
            }
            start = end
        }
    }

    /// The cluster's restart counter, the same for every member and every term: the
    /// bindings outlive members, so a takeover is not a restart and sites need not
    /// register again. Created once per cluster from the clock, so that a cluster whose
    /// etcd data was wiped (its bindings lost) announces a different one.
    public func restartCounterForStart() async throws -> UInt32 {
        if let kv = try await client.get(keys.restartCounter) {
            return try Self.counter(kv)
        }
        let fresh = UInt32(truncatingIfNeeded: Int64(Date().timeIntervalSince1970))
        let result = try await client.transaction(Transaction(
            compare: [.createRevision(keys.restartCounter, .equal, 0)],
            success: [.put(keys.restartCounter, Array(String(fresh).utf8))],
            failure: [.get(keys.restartCounter)]))
        if result.succeeded { return fresh }
        guard let kv = result.reads.first?.first else { throw BindingRecord.damaged("\(keys.restartCounter) vanished") }
        return try Self.counter(kv)
    }

    private static func counter(_ kv: KeyValue) throws(BindingStoreError) -> UInt32 {
        guard let value = UInt32(String(decoding: kv.value, as: UTF8.self)) else {
            throw BindingRecord.damaged("\(kv.key) is not a 32-bit counter")
        }
        return value
    }

    static func decode<T: Decodable>(_ type: T.Type, _ kv: KeyValue, with decoder: JSONDecoder = JSONDecoder()) throws(BindingStoreError) -> T {
        do {
            return try decoder.decode(type, from: Data(kv.value))
        } catch {
            throw BindingRecord.damaged("\(kv.key): \(error)")
        }
    }
}

/// A commit refused because another member now owns the cluster.
public struct OwnershipLost: Error, CustomStringConvertible, Sendable {
    public var cluster: String
    public var term: Int64
    public var holder: String?

    public var description: String {
        "cluster \(cluster): this member's term \(term) is over" + (holder.map { "; \($0) serves it now" } ?? "; no member serves it")
    }
}
