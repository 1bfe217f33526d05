import Etcd
import Foundation
import GLMWire
import HomeAgentCore
import HomeAgentRuntime
import LabSupport
import NIOPosix
import Testing

/// The binding cache in a real etcd: what is committed comes back whole, every commit
/// is fenced by the committing member's term, a large batch is committed whole before
/// it returns, and the restart counter is the cluster's, the same for every term.
@Suite("Binding store on etcd", .serialized)
struct EtcdBindingStoreTests {
    /// A one-member etcd, a client, and the keys of a cluster named after the test.
    struct Store {
        let etcd: EtcdCluster
        let client: EtcdClient
        let keys: ClusterKeys

        /// Takes the owner key for `member` and returns the store of that term.
        func own(as member: String) async throws -> EtcdBindingStore {
            let record = try JSONEncoder().encode(OwnerRecord(member: member, peerAddress: "192.0.2.1", since: 0))
            let result = try await client.transaction(Transaction(compare: [.createRevision(keys.owner, .equal, 0)],
                                                                  success: [.put(keys.owner, Array(record))]))
            try #require(result.succeeded, "the owner key was taken")
            return EtcdBindingStore(client: client, keys: keys, term: result.revision)
        }

        func stop() async {
            await client.shutdown()
            etcd.stop()
        }
    }

    static func store(_ name: String) async throws -> Store? {
        guard TestEnvironment.require(EtcdCluster.etcdPath != nil, "etcd is not installed (scripts/install-deps.sh installs etcd-server)") else {
            return nil
        }
        let etcd = try await EtcdCluster.start(members: 1)
        let client = EtcdClient(configuration: .init(endpoints: etcd.clientURLs), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        return Store(etcd: etcd, client: client, keys: ClusterKeys(cluster: name))
    }

    @Test("bindings, preparations and revocations at the edges of every field come back as committed")
    func roundTrip() async throws {
        guard let store = try await Self.store("round-trip") else { return }
        let term = try await store.own(as: "m1")
        let bindings = BindingStoreTests.edgeBindings
        let preparation = Preparation(site: AwayVM(bindings[2]), siteName: "site-x", expiresAt: 1_750_000_123.5)
        let revocations = BindingStoreTests.edgeRevocations
        try await term.commit(BindingChanges(saving: bindings, preparing: [preparation], revoking: revocations.reversed()))
        #expect(try await term.storedBindings() == bindings.sorted { $0.vm < $1.vm })
        #expect(try await term.storedPreparations() == [preparation])
        #expect(try await term.storedRevocations() == revocations)
        try await term.commit(BindingChanges(deleting: [bindings[0].vm, bindings[3].vm], unpreparing: [preparation.site.vm],
                                             unrevoking: [revocations[0].key, revocations[2].key]))
        #expect(try await term.storedBindings() == [bindings[1], bindings[2], bindings[4]].sorted { $0.vm < $1.vm })
        #expect(try await term.storedPreparations().isEmpty)
        #expect(try await term.storedRevocations() == [revocations[1]])
        // Any member reads them, serving or not.
        #expect(try await EtcdBindingStore.bindings(client: store.client, keys: store.keys).count == 3)
        await store.stop()
    }

    @Test("a term that is over commits nothing: the next owner's bindings stay as they are")
    func fencedByTerm() async throws {
        guard let store = try await Self.store("fenced") else { return }
        let old = try await store.own(as: "m1")
        try await old.commit(BindingChanges(saving: [BindingSamples.binding(1)]))
        // m1's lease ran out: its owner key is gone, and m2 took the cluster.
        try await store.client.delete(store.keys.owner)
        let new = try await store.own(as: "m2")
        try await new.commit(BindingChanges(saving: [BindingSamples.binding(2)]))
        await #expect(throws: OwnershipLost.self) {
            try await old.commit(BindingChanges(saving: [BindingSamples.binding(3)], deleting: [BindingSamples.binding(2).vm]))
        }
        do {
            try await old.commit(BindingChanges(saving: [BindingSamples.binding(4)]))
        } catch let lost as OwnershipLost {
            #expect(lost.holder == "m2" && lost.term == old.term, "\(lost)")
        }
        #expect(try await new.storedBindings() == [BindingSamples.binding(1), BindingSamples.binding(2)])
        await store.stop()
    }

    @Test("a batch larger than one transaction is committed whole, in fenced parts")
    func largeBatch() async throws {
        guard let store = try await Self.store("large") else { return }
        let term = try await store.own(as: "m1")
        let bindings = (0..<1000).map { BindingSamples.binding($0) }
        let started = ContinuousClock.now
        try await term.commit(BindingChanges(saving: bindings))
        let elapsed = ContinuousClock.now - started
        #expect(try await term.storedBindings() == bindings.sorted { $0.vm < $1.vm })
        var single: [Duration] = []
        for index in 0..<100 {
            let start = ContinuousClock.now
            try await term.commit(BindingChanges(saving: [BindingSamples.binding(index)]))
            single.append(ContinuousClock.now - start)
        }
        single.sort()
        print("etcd binding store: 1000 bindings in one batch committed in \(elapsed); one binding a commit: "
              + "median \(single[50]), p90 \(single[90]), max \(single[99]) (one member, local disk)")
        await store.stop()
    }

    @Test("the restart counter is created once per cluster and the same for every term")
    func restartCounter() async throws {
        guard let store = try await Self.store("counter") else { return }
        let first = try await store.own(as: "m1")
        let counter = try await first.restartCounterForStart()
        #expect(counter != 0)
        try await store.client.delete(store.keys.owner)
        let second = try await store.own(as: "m2")
        #expect(try await second.restartCounterForStart() == counter)
        #expect(try await first.restartCounterForStart() == counter)
        // Another cluster in the same etcd has its own.
        let other = EtcdBindingStore(client: store.client, keys: ClusterKeys(cluster: "other"), term: 0)
        try await Task.sleep(for: .seconds(1.1))
        #expect(try await other.restartCounterForStart() != counter)
        await store.stop()
    }

    @Test("a damaged record is an error naming its key, never a binding skipped")
    func damagedRecord() async throws {
        guard let store = try await Self.store("damaged") else { return }
        let term = try await store.own(as: "m1")
        try await term.commit(BindingChanges(saving: [BindingSamples.binding(1)]))
        try await store.client.put(store.keys.binding(MACAddress(rawValue: 0x5254_0000_0099)!), Array("{\"vm\":1}".utf8))
        do {
            _ = try await term.storedBindings()
            Issue.record("a damaged record was read")
        } catch let error as BindingStoreError {
            #expect(error.description.contains("52:54:00:00:00:99"), "\(error)")
        }
        await store.stop()
    }
}
