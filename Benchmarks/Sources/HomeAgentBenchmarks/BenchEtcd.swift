import Etcd
import Foundation
import HomeAgentRuntime
import NIOPosix

/// A one-member etcd on this host for the benchmarks (its data on this disk, fsync on
/// every commit as etcd does), a client, and the owner key of the cluster `bench`.
struct BenchEtcd {
    let process: Process
    let client: EtcdClient
    /// The creation revision of `/glm/bench/owner`: the term that fences the store's commits.
    let term: Int64

    /// Nil without etcd, or with `BENCH_ETCD=off` (to measure the rest quickly).
    static func start(directory: String) async throws -> BenchEtcd? {
        guard ProcessInfo.processInfo.environment["BENCH_ETCD"] != "off" else { return nil }
        guard let path = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--data-dir", "\(directory)/etcd", "--listen-client-urls", "http://127.0.0.1:23379",
                             "--advertise-client-urls", "http://127.0.0.1:23379", "--listen-peer-urls", "http://127.0.0.1:23380",
                             "--initial-advertise-peer-urls", "http://127.0.0.1:23380",
                             "--initial-cluster", "default=http://127.0.0.1:23380", "--log-level", "error",
                             // A million bindings and their history exceed the default 2 GiB quota's comfort.
                             "--quota-backend-bytes", "\(8 << 30)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let client = EtcdClient(configuration: .init(endpoints: ["http://127.0.0.1:23379"]),
                                eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let bench = BenchEtcd(process: process, client: client, term: 0)
        for _ in 0..<100 {
            if (try? await bench.claim(ClusterKeys(cluster: "bench"))) != nil,
               let term = try? await bench.term(ClusterKeys(cluster: "bench")) {
                return BenchEtcd(process: process, client: client, term: term)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await bench.stop()
        return nil
    }

    /// Creates the cluster's owner key, as a member taking it over does.
    func claim(_ keys: ClusterKeys) async throws {
        let owner = Array("{\"member\":\"bench\",\"peerAddress\":\"127.0.0.1\",\"since\":0}".utf8)
        _ = try await client.transaction(Transaction(compare: [.createRevision(keys.owner, .equal, 0)],
                                                     success: [.put(keys.owner, owner)]))
    }

    /// The owner key's creation revision.
    func term(_ keys: ClusterKeys) async throws -> Int64 {
        guard let owner = try await client.get(keys.owner) else { throw EtcdError.malformed("\(keys.owner) does not exist") }
        return owner.createRevision
    }

    /// CPU seconds the etcd process has used so far (user + system, from /proc).
    var cpuSeconds: Double {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return 0 }
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() async {
        await client.shutdown()
        process.terminate()
        process.waitUntilExit()
    }
}
