import Etcd
import Foundation
import LabSupport
import NIOPosix
import Synchronization
import Testing

/// The etcd client against real etcd processes: keys and prefix ranges, transactions
/// (create-revision, mod-revision and value comparisons), leases that expire, live on
/// keep-alives or are revoked, watches from an older revision, the loss of the member in
/// use in a three-member cluster, and a cluster that cannot be reached. Each test starts
/// its own cluster; without etcd the tests skip (fail under CI=true).
@Suite("etcd client against real etcd")
struct EtcdClientTests {
    @Test("puts, gets and a prefix range: key order, revisions and versions")
    func keysAndRanges() async throws {
        try await withCluster { _, client in
            let b = try await client.put("keys/b", bytes("2"))
            let a = try await client.put("keys/a", [0, 0xff, 10])
            let c = try await client.put("keys/c", bytes("3"))
            let outside = try await client.put("keys", bytes("not under keys/"))
            #expect(b < a && a < c && c < outside)

            let all = try await client.range(prefix: "keys/")
            #expect(all.kvs.map(\.key) == ["keys/a", "keys/b", "keys/c"])
            #expect(all.kvs.map(\.value) == [[0, 0xff, 10], bytes("2"), bytes("3")])
            #expect(all.kvs.map(\.modRevision) == [a, b, c])
            #expect(all.kvs.map(\.createRevision) == [a, b, c])
            #expect(all.kvs.map(\.version) == [1, 1, 1])
            #expect(all.kvs.allSatisfy { $0.lease == 0 })
            #expect(all.revision == outside)

            let changed = try await client.put("keys/a", bytes("again"))
            let a2 = try #require(try await client.get("keys/a"))
            #expect(a2.value == bytes("again"))
            #expect(a2.createRevision == a && a2.modRevision == changed && a2.version == 2)
            #expect(try await client.get("keys/none") == nil)

            let deleted = try await client.delete("keys/b")
            #expect(deleted == changed + 1)
            let rest = try await client.range(prefix: "keys/")
            #expect(rest.kvs.map(\.key) == ["keys/a", "keys/c"])
            #expect(rest.revision == deleted)
            let nothing = try await client.range(prefix: "nothing/")
            #expect(nothing.kvs.isEmpty && nothing.revision == deleted)
        }
    }

    @Test("a create-revision-0 transaction wins once; the loser's failure branch reads the holder")
    func compareAndSwap() async throws {
        try await withCluster { _, client in
            func claim(_ holder: String) -> Transaction {
                Transaction(compare: [.createRevision("lock", .equal, 0)],
                            success: [.put("lock", bytes(holder))],
                            failure: [.get("lock")])
            }
            let first = try await client.transaction(claim("A"))
            #expect(first.succeeded)
            #expect(first.reads.isEmpty)

            let second = try await client.transaction(claim("B"))
            #expect(!second.succeeded)
            let holder = try #require(second.reads.first?.first)
            #expect(holder.value == bytes("A"))
            #expect(holder.createRevision == first.revision)
            #expect(second.revision == first.revision, "a failed transaction that only reads changes nothing")
            #expect(try await client.get("lock")?.value == bytes("A"))

            // Swapping on the holder's revision: the current one wins, a stale one loses.
            let swap = Transaction(compare: [.modRevision("lock", .equal, holder.modRevision)],
                                   success: [.put("lock", bytes("A2"))], failure: [.get("lock")])
            let swapped = try await client.transaction(swap)
            #expect(swapped.succeeded && swapped.revision == first.revision + 1)
            let stale = try await client.transaction(swap)
            #expect(!stale.succeeded)
            #expect(stale.reads.first?.first?.value == bytes("A2"))
        }
    }

    @Test("value comparisons: equal and not-equal, and one false comparison fails the whole")
    func valueComparison() async throws {
        try await withCluster { _, client in
            try await client.put("config", bytes("v1"))
            let update = Transaction(compare: [.value("config", .equal, bytes("v1"))],
                                     success: [.put("config", bytes("v2"))], failure: [.get("config")])
            #expect(try await client.transaction(update).succeeded)
            let again = try await client.transaction(update)
            #expect(!again.succeeded)
            #expect(again.reads.first?.first?.value == bytes("v2"))

            let both = Transaction(compare: [.value("config", .equal, bytes("v2")), .createRevision("config", .equal, 0)],
                                   success: [.delete("config")], failure: [.get("config"), .get("missing")])
            let mixed = try await client.transaction(both)
            #expect(!mixed.succeeded)
            #expect(mixed.reads.count == 2)
            #expect(mixed.reads.first?.first?.value == bytes("v2") && mixed.reads.last?.isEmpty == true)

            let remove = Transaction(compare: [.value("config", .notEqual, bytes("v1"))], success: [.delete("config")])
            #expect(try await client.transaction(remove).succeeded)
            #expect(try await client.get("config") == nil)
        }
    }

    @Test("a range larger than a page comes in pages, whole and in key order")
    func pagedRange() async throws {
        try await withCluster { _, client in
            let names = (0..<25).map { String(format: "paged/%03d", $0) }
            for name in names.shuffled() { try await client.put(name, bytes(name)) }
            try await client.put("paged", bytes("not under paged/"))
            try await client.put("paged0", bytes("after the range"))
            let pages = Mutex<[Int]>([])
            let read = try await client.range(prefix: "paged/", pageSize: 7) { kvs in pages.withLock { $0.append(kvs.count) } }
            #expect(read.kvs.map(\.key) == names)
            #expect(read.kvs.map(\.value) == names.map(bytes))
            #expect(pages.withLock { $0 } == [7, 7, 7, 4])
            // A page size that divides the range: the last page is full and says nothing more.
            #expect(try await client.range(prefix: "paged/", pageSize: 5).kvs.count == 25)
            #expect(try await client.range(prefix: "paged/", pageSize: 25).kvs.count == 25)
        }
    }

    @Test("over TLS: a client with the cluster's CA and a certificate it signed works; without a certificate, or trusting another CA, it is refused")
    func tls() async throws {
        guard TestEnvironment.require(EtcdCluster.etcdPath != nil && EtcdCluster.etcdctlPath != nil,
                                      "etcd is not installed (scripts/install-deps.sh installs etcd-server and etcd-client)")
        else { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glm-etcd-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try await EtcdCluster.TLSFiles.generate(in: folder + "/ca")
        let stranger = try await EtcdCluster.TLSFiles.generate(in: folder + "/other", name: "another-ca")
        let cluster = try await EtcdCluster.start(members: 1, tls: files)
        defer { cluster.stop() }
        #expect(cluster.clientURLs.allSatisfy { $0.hasPrefix("https://") })

        func client(ca: String, certificate: String?, key: String?) throws -> EtcdClient {
            EtcdClient(configuration: .init(endpoints: cluster.clientURLs,
                                            tls: try EtcdClient.Configuration.tls(caFile: ca, certificateFile: certificate, keyFile: key)),
                       eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        }
        let trusted = try client(ca: files.caFile, certificate: files.clientCertificateFile, key: files.clientKeyFile)
        try await trusted.put("secure/key", bytes("over TLS"))
        #expect(try await trusted.get("secure/key")?.value == bytes("over TLS"))
        let lease = try await trusted.grantLease(ttl: 5)
        #expect(try await trusted.keepAlive(lease.id) == 5)
        await trusted.shutdown()

        let anonymous = try client(ca: files.caFile, certificate: nil, key: nil)
        await #expect(throws: EtcdError.self, "a client without a certificate") { try await anonymous.get("secure/key") }
        await anonymous.shutdown()

        let misled = try client(ca: stranger.caFile, certificate: stranger.clientCertificateFile, key: stranger.clientKeyFile)
        await #expect(throws: EtcdError.self, "a client trusting another CA") { try await misled.get("secure/key") }
        await misled.shutdown()
    }

    @Test("a short lease's key stays while keep-alives run and vanishes once they stop")
    func leaseExpires() async throws {
        try await withCluster { _, client in
            // Five seconds: long enough that a loaded machine's stalls (CI has seen an fsync
            // take 2.4 s, and a renewal answered more than 3 s after the one before it while
            // the parallel phase ran) cannot expire it, short enough to watch it go.
            let lease = try await client.grantLease(ttl: 5)
            #expect(lease.ttl == 5)
            try await client.put("session", bytes("alive"), lease: lease.id)
            #expect(try await client.get("session")?.lease == lease.id)

            // Over one and a half times the lease's life, renewed every 250 ms.
            let clock = ContinuousClock()
            let renewing = clock.now
            var lastRenewal = renewing
            while clock.now - renewing < .seconds(8) {
                let ttl = try await client.keepAlive(lease.id)
                lastRenewal = clock.now
                #expect(ttl == 5, "a renewal \(clock.now - renewing) into the test answered TTL \(ttl)")
                #expect(try await client.get("session") != nil, "the key vanished while its lease was kept alive")
                try await Task.sleep(for: .milliseconds(250))
            }

            let vanished = try await waitUntil(timeout: .seconds(15)) { try await client.get("session") == nil }
            #expect(vanished, "the key outlived its lease")
            let gone = clock.now - lastRenewal
            print("etcd lease of 5 s: key gone \(gone) after the last keep-alive")
            #expect(gone >= .seconds(3), "the key went \(gone) after a renewal of a 5-second lease")
            #expect(try await client.keepAlive(lease.id) == 0)
        }
    }

    @Test("revoking a lease deletes its keys at once; keep-alives then answer 0")
    func revokeDeletesAtOnce() async throws {
        try await withCluster { _, client in
            let lease = try await client.grantLease(ttl: 60)
            #expect(lease.ttl == 60)
            try await client.put("held/1", bytes("x"), lease: lease.id)
            try await client.put("held/2", bytes("y"), lease: lease.id)
            try await client.put("held/3", bytes("kept"))
            #expect(try await client.keepAlive(lease.id) == 60)

            try await client.revoke(lease.id)
            #expect(try await client.range(prefix: "held/").kvs.map(\.key) == ["held/3"])
            #expect(try await client.keepAlive(lease.id) == 0)
            try await client.revoke(lease.id)
            #expect(try await client.keepAlive(lease.id &+ 12345) == 0, "a lease never granted")
        }
    }

    @Test("a watch from an older revision sees puts and deletes in order, before and after it starts")
    func watchFromRevision() async throws {
        try await withCluster { _, client in
            let putA = try await client.put("watched/a", bytes("1"))
            let putB = try await client.put("watched/b", bytes("2"))
            let deleteA = try await client.delete("watched/a")
            try await client.put("unwatched/a", bytes("3"))

            let watch = WatchRecorder(client.watch(prefix: "watched/", from: putA))
            defer { watch.cancel() }
            #expect(await watch.wait(for: 3), "\(watch.changes)")
            let putC = try await client.put("watched/c", bytes("4"))
            let deleteB = try await client.delete("watched/b")
            #expect(await watch.wait(for: 5), "\(watch.changes)")
            try await Task.sleep(for: .milliseconds(300))

            let seen = watch.changes.map { Seen($0) }
            #expect(seen == [Seen(.put, "watched/a", putA, "1"), Seen(.put, "watched/b", putB, "2"),
                             Seen(.delete, "watched/a", deleteA), Seen(.put, "watched/c", putC, "4"),
                             Seen(.delete, "watched/b", deleteB)])
            #expect(watch.end == nil)
        }
    }

    @Test("killing the member in use, the leader: calls move to another, the watch goes on without a gap or a repeat")
    func memberLoss() async throws {
        try await withCluster(members: 3, leaderFirst: true) { cluster, client in
            let start = try await client.put("moving/00", bytes("0"))
            let watch = WatchRecorder(client.watch(prefix: "moving/", from: start))
            defer { watch.cancel() }
            for index in 1...5 { try await client.put(key(index), bytes("\(index)")) }
            #expect(await watch.wait(for: 6), "\(watch.changes)")

            let used = try #require(cluster.clientURLs.firstIndex(of: client.currentEndpoint))
            let leader = try await cluster.leader()
            cluster.kill(member: used)
            let clock = ContinuousClock()
            let killed = clock.now
            try await client.put(key(6), bytes("6"))
            let failover = clock.now - killed
            for index in 7...15 { try await client.put(key(index), bytes("\(index)")) }
            #expect(client.currentEndpoint != cluster.clientURLs[used])

            let lease = try await client.grantLease(ttl: 5)
            let claimed = try await client.transaction(Transaction(compare: [.createRevision("moving-lock", .equal, 0)],
                                                                   success: [.put("moving-lock", [1], lease: lease.id)]))
            #expect(claimed.succeeded)
            #expect(try await client.range(prefix: "moving/").kvs.count == 16)

            #expect(await watch.wait(for: 16, within: .seconds(15)), "\(watch.changes.map(\.kv.key))")
            try await Task.sleep(for: .milliseconds(500))
            #expect(watch.changes.map(\.kv.key) == (0...15).map(key))
            let revisions = watch.changes.map(\.kv.modRevision)
            #expect(zip(revisions, revisions.dropFirst()).allSatisfy { $0 < $1 })
            #expect(watch.end == nil)

            // The member comes back on its data and catches up.
            try await cluster.restart(member: used)
            let alone = EtcdClient(configuration: .init(endpoints: [cluster.clientURLs[used]]),
                                   eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            let caughtUp: Int
            do {
                caughtUp = try await alone.range(prefix: "moving/").kvs.count
            } catch {
                await alone.shutdown()
                throw error
            }
            await alone.shutdown()
            #expect(caughtUp == 16)
            print("etcd failover: first put \(failover) after SIGKILL of member \(used)"
                  + (leader == used ? ", the leader" : ", a follower (the leader is \(leader.map(String.init) ?? "unknown"))"))
        }
    }

    @Test("an unreachable cluster fails with .unreachable within the deadline; its watch ends")
    func unreachable() async throws {
        // Two ports nothing listens on, and one that accepts connections but never answers.
        let closed = EtcdCluster.reservePorts(2)
        let silent = try SilentListener()
        defer { silent.close() }
        let endpoints = closed.map { "http://127.0.0.1:\($0)" } + ["http://127.0.0.1:\(silent.port)"]
        let client = EtcdClient(configuration: .init(endpoints: endpoints, requestTimeout: .milliseconds(500)),
                                eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: EtcdError.self) { try await client.get("anything") }
        let elapsed = clock.now - started
        guard case .unreachable(let tried, _) = error else {
            Issue.record("expected .unreachable, got \(String(describing: error))")
            await client.shutdown()
            return
        }
        #expect(tried == endpoints)
        // Each endpoint costs at most a connect timeout (refused connections are retried
        // until then) or a request timeout (the silent one): deadlines, not a hang. The
        // bound allows for a busy machine's late timers (5.3 s seen for 3 s of deadlines
        // in make test's parallel phase); the figure is printed below.
        let configuration = client.configuration
        #expect(elapsed < (configuration.connectTimeout + configuration.requestTimeout) * endpoints.count * 4, "\(elapsed)")

        let watch = WatchRecorder(client.watch(prefix: "x/", from: 1))
        #expect(await watch.waitForEnd(within: .seconds(30)))
        if case .ended = watch.end as? EtcdClient.WatchEnd {} else { Issue.record("the watch ended with \(String(describing: watch.end))") }
        await client.shutdown()
        print("etcd unreachable: \(endpoints.count) endpoints refused or silent, error after \(elapsed)")
    }

    @Test("200 puts, gets and counter transactions in turn (round-trip figures printed)")
    func roundTrips() async throws {
        try await withCluster { _, client in
            let clock = ContinuousClock()
            var puts: [Duration] = []
            var gets: [Duration] = []
            var transactions: [Duration] = []
            try await client.put("counter", bytes("0"))
            for index in 0..<200 {
                var started = clock.now
                try await client.put("load/\(index)", bytes("\(index)"))
                puts.append(clock.now - started)

                started = clock.now
                let counter = try #require(try await client.get("counter"))
                gets.append(clock.now - started)

                let next = Int(String(decoding: counter.value, as: UTF8.self))! + 1
                started = clock.now
                let increment = try await client.transaction(Transaction(
                    compare: [.modRevision("counter", .equal, counter.modRevision)],
                    success: [.put("counter", bytes("\(next)"))]))
                transactions.append(clock.now - started)
                #expect(increment.succeeded)
            }
            #expect(try await client.range(prefix: "load/").kvs.count == 200)
            #expect(try await client.get("counter")?.value == bytes("200"))
            print("etcd round trips over 200 calls (1 member): put median \(median(puts)), get median \(median(gets)), "
                  + "txn median \(median(transactions)), put max \(puts.max()!)")
        }
    }
}

// MARK: - Helpers

/// A cluster of `members` and a client of all its members (the leader first when
/// `leaderFirst`), for the body; both are shut down afterwards. Does nothing (after
/// recording why) when etcd is not installed.
private func withCluster(members: Int = 1, leaderFirst: Bool = false,
                         _ body: (EtcdCluster, EtcdClient) async throws -> Void,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws {
    guard TestEnvironment.require(EtcdCluster.etcdPath != nil,
                                  "etcd is not installed (scripts/install-deps.sh installs etcd-server)",
                                  sourceLocation: sourceLocation),
          TestEnvironment.require(EtcdCluster.etcdctlPath != nil,
                                  "etcdctl is not installed (scripts/install-deps.sh installs etcd-client)",
                                  sourceLocation: sourceLocation)
    else { return }
    let cluster = try await EtcdCluster.start(members: members)
    var endpoints = cluster.clientURLs
    if leaderFirst, let leader = try await cluster.leader() {
        endpoints = Array(endpoints[leader...] + endpoints[..<leader])
    }
    let client = EtcdClient(configuration: .init(endpoints: endpoints),
                            eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    do {
        try await body(cluster, client)
    } catch {
        await client.shutdown()
        cluster.stop()
        throw error
    }
    await client.shutdown()
    cluster.stop()
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Keys that sort in the order they are written.
private func key(_ index: Int) -> String { "moving/" + (index < 10 ? "0\(index)" : "\(index)") }

private func median(_ durations: [Duration]) -> Duration { durations.sorted()[durations.count / 2] }

/// A change as the watch test compares it.
private struct Seen: Equatable, CustomStringConvertible {
    var kind: EtcdClient.Change.Kind
    var key: String
    var revision: Int64
    var value: String

    init(_ kind: EtcdClient.Change.Kind, _ key: String, _ revision: Int64, _ value: String = "") {
        self.kind = kind
        self.key = key
        self.revision = revision
        self.value = value
    }

    init(_ change: EtcdClient.Change) {
        self.init(change.kind, change.kv.key, change.kv.modRevision, String(decoding: change.kv.value, as: UTF8.self))
    }

    var description: String { "\(kind) \(key)@\(revision)=\(value)" }
}

/// A watch's changes as they arrive, and how it ended, read while it runs.
private final class WatchRecorder: Sendable {
    private struct State {
        var changes: [EtcdClient.Change] = []
        var ended = false
        var end: (any Error)?
        var reader: Task<Void, Never>?
    }

    private let state = Mutex(State())

    init(_ stream: AsyncThrowingStream<[EtcdClient.Change], any Error>) {
        let reader = Task { [self] in
            do {
                for try await batch in stream { state.withLock { $0.changes += batch } }
                state.withLock { $0.ended = true }
            } catch {
                state.withLock {
                    $0.ended = true
                    $0.end = error
                }
            }
        }
        state.withLock { $0.reader = reader }
    }

    var changes: [EtcdClient.Change] { state.withLock { $0.changes } }
    /// The error the watch ended with; nil while it runs or when it finished quietly.
    var end: (any Error)? { state.withLock { $0.end } }

    /// Whether `count` changes (or more) arrived within `timeout`.
    func wait(for count: Int, within timeout: Duration = .seconds(5)) async -> Bool {
        await waitUntil(timeout: timeout) { changes.count >= count }
    }

    /// Whether the watch ended within `timeout`.
    func waitForEnd(within timeout: Duration) async -> Bool {
        await waitUntil(timeout: timeout) { state.withLock { $0.ended } }
    }

    func cancel() { state.withLock { $0.reader }?.cancel() }
}

/// A TCP listener on 127.0.0.1 that accepts connections (the kernel completes them) but
/// never reads or answers: a member that hangs.
private final class SilentListener: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 && listen(descriptor, 16) == 0
            }
        }
        guard listening else {
            let error = POSIXError(.init(rawValue: errno) ?? .EIO)
            Foundation.close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Foundation.close(descriptor) }
}
