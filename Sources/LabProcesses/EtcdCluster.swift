import Foundation
import Synchronization

/// A real etcd cluster for the tests and the lab: one `etcd` process per member, each
/// with its own data folder, client URL and peer URL.
///
/// Timing is fast by default (a heartbeat every 25 ms, elections after 250 ms), which
/// also makes etcd's shortest lease one second. `start` returns once every member says
/// it is healthy (`etcdctl endpoint health`, run the way the member runs: inside its
/// namespace when it has a command prefix such as `["ip", "netns", "exec", "ns1"]`).
/// ``kill(member:)`` crashes a member, ``restart(member:readyWithin:)`` brings it back
/// on its data, and ``stop()`` ends them all and deletes their data.
///
/// Ports come from ``reservePorts(_:on:)``: clusters started by tests running side by
/// side in one process never share one, and each is checked free when handed out.
public final class EtcdCluster: @unchecked Sendable {
    // `members` and the folders are fixed in init; the processes change under `processes`.

    /// One member: where it listens and how it is run.
    public struct Member: Sendable {
        public let name: String
        public let address: String
        public let clientPort: Int
        public let peerPort: Int
        /// What runs `etcd` (and `etcdctl` for the health checks), such as
        /// `["ip", "netns", "exec", "ns1"]`; empty to run it directly.
        public let commandPrefix: [String]
        public let dataFolder: String
        /// Whether clients reach it over TLS.
        public let secure: Bool

        public var clientURL: String { "\(secure ? "https" : "http")://\(Self.host(address)):\(clientPort)" }
        public var peerURL: String { "http://\(Self.host(address)):\(peerPort)" }

        private static func host(_ address: String) -> String { address.contains(":") ? "[\(address)]" : address }
    }

    /// Why the cluster did not start or a member did not come back, with the end of
    /// every member's log.
    public struct StartFailure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The etcd server, or nil when it is not installed.
    public static var etcdPath: String? { locate("etcd") }

    /// `etcdctl`, beside the server or on PATH, or nil when it is not installed.
    public static var etcdctlPath: String? {
        if let etcd = etcdPath {
            let beside = URL(fileURLWithPath: etcd).deletingLastPathComponent().appendingPathComponent("etcdctl").path
            if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        }
        return locate("etcdctl")
    }

    public let members: [Member]
    /// The members' client URLs, in member order: the endpoints of an etcd client.
    public var clientURLs: [String] { members.map(\.clientURL) }

    private let etcd: String
    private let etcdctl: String
    private let arguments: [[String]]
    /// How `etcdctl` reaches a member: nothing, or the CA and a client certificate.
    private let clientArguments: [String]
    /// The folder holding the members' data folders, removed by ``stop()`` when the
    /// cluster chose it.
    private let ownedFolder: String?
    private let processes: Mutex<[ChildProcess?]>

    private static let clusters = Mutex(0)

    /// Starts `members` etcd processes forming one cluster and waits until each says it
    /// is healthy, or fails with their logs' last lines after `readyWithin`.
    ///
    /// `addresses` and `commandPrefixes` hold one entry for every member or one for all.
    /// The data folders are made under `folder` (a new temporary folder when nil).
    public static func start(members count: Int = 1,
                             addresses: [String] = ["127.0.0.1"],
                             commandPrefixes: [[String]] = [[]],
                             folder: String? = nil,
                             tls: TLSFiles? = nil,
                             heartbeatInterval: Duration = .milliseconds(25),
                             electionTimeout: Duration = .milliseconds(250),
                             readyWithin: Duration = .seconds(30)) async throws -> EtcdCluster {
        precondition(count >= 1, "an etcd cluster needs a member")
        precondition(addresses.count == 1 || addresses.count == count, "one address for all members, or one each")
        precondition(commandPrefixes.count == 1 || commandPrefixes.count == count, "one command prefix for all members, or one each")
        guard let etcd = etcdPath else { throw StartFailure(description: "etcd is not installed (Debian package etcd-server)") }
        guard let etcdctl = etcdctlPath else { throw StartFailure(description: "etcdctl is not installed (Debian package etcd-client)") }

        let number = clusters.withLock { value in
            value += 1
            return value
        }
        let token = "glm-\(getpid())-\(number)"
        let base = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("\(token)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let members = (0..<count).map { index in
            let address = addresses[addresses.count == 1 ? 0 : index]
            let ports = reservePorts(2, on: address)
            return Member(name: "m\(index)", address: address, clientPort: ports[0], peerPort: ports[1],
                          commandPrefix: commandPrefixes[commandPrefixes.count == 1 ? 0 : index],
                          dataFolder: "\(base)/\(token)-m\(index)", secure: tls != nil)
        }
        let cluster = EtcdCluster(members: members, etcd: etcd, etcdctl: etcdctl, token: token,
                                  heartbeatInterval: heartbeatInterval, electionTimeout: electionTimeout,
                                  tls: tls, ownedFolder: folder == nil ? base : nil)
        do {
            for index in members.indices { try cluster.launch(index) }
            try await cluster.waitUntilHealthy(members.indices, within: readyWithin)
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    private init(members: [Member], etcd: String, etcdctl: String, token: String,
                 heartbeatInterval: Duration, electionTimeout: Duration, tls: TLSFiles?, ownedFolder: String?) {
        self.members = members
        self.etcd = etcd
        self.etcdctl = etcdctl
        self.ownedFolder = ownedFolder
        clientArguments = tls.map { ["--cacert", $0.caFile, "--cert", $0.clientCertificateFile, "--key", $0.clientKeyFile] } ?? []
        // Clients must present a certificate the CA signed; peers talk in the clear here.
        let serverArguments = tls.map {
            ["--cert-file", $0.serverCertificateFile, "--key-file", $0.serverKeyFile,
             "--trusted-ca-file", $0.caFile, "--client-cert-auth"]
        } ?? []
        processes = Mutex(Array(repeating: nil, count: members.count))
        let initialCluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        arguments = members.map { member in
            ["--name", member.name,
             "--data-dir", member.dataFolder,
             "--listen-client-urls", member.clientURL,
             "--advertise-client-urls", member.clientURL,
             "--listen-peer-urls", member.peerURL,
             "--initial-advertise-peer-urls", member.peerURL,
             "--initial-cluster", initialCluster,
             "--initial-cluster-token", token,
             "--initial-cluster-state", "new",
             "--heartbeat-interval", "\(Self.milliseconds(heartbeatInterval))",
             "--election-timeout", "\(Self.milliseconds(electionTimeout))",
             "--logger", "zap",
             "--log-outputs", "stderr"] + serverArguments
        }
    }

    /// Ends member `member` at once with SIGKILL, as a crash or a power cut would.
    public func kill(member: Int) {
        processes.withLock { $0[member] }?.kill()
    }

    /// Starts member `member` again on its data (killing it first if it still runs) and
    /// waits until it says it is healthy: it has rejoined the cluster.
    public func restart(member: Int, readyWithin: Duration = .seconds(30)) async throws {
        kill(member: member)
        try launch(member)
        try await waitUntilHealthy([member], within: readyWithin)
    }

    /// The index of the member that leads the cluster now, or nil when no running member
    /// names itself leader (`etcdctl endpoint status`, asked of each member as it runs).
    public func leader() async throws -> Int? {
        for index in members.indices {
            guard let process = processes.withLock({ $0[index] }), !(await process.waitForExit(timeout: .zero)) else { continue }
            let (executable, command) = try invocation(
                of: index, etcdctl,
                ["--endpoints", members[index].clientURL, "--dial-timeout", "1s", "--command-timeout", "2s",
                 "endpoint", "status", "--write-out", "json"] + clientArguments)
            let run = try await ProgramRun.run(executable, command, timeout: .seconds(5))
            guard run.succeeded,
                  let answer = try? JSONDecoder().decode([EndpointStatus].self, from: Data(run.standardOutput.utf8)).first
            else { continue }
            if answer.status.leader == answer.status.header.memberID { return index }
        }
        return nil
    }

    /// Ends every member (SIGTERM, then SIGKILL) and deletes their data. Calling it again
    /// does nothing.
    public func stop() {
        let running = processes.withLock { processes in
            defer { processes = Array(repeating: nil, count: processes.count) }
            return processes.compactMap { $0 }
        }
        for process in running { process.terminate(grace: .seconds(5)) }
        for member in members { try? FileManager.default.removeItem(atPath: member.dataFolder) }
        if let ownedFolder { try? FileManager.default.removeItem(atPath: ownedFolder) }
    }

    deinit { stop() }

    private func launch(_ member: Int) throws {
        let (executable, command) = try invocation(of: member, etcd, arguments[member])
        let process = ChildProcess(executable, command)
        try process.start()
        processes.withLock { $0[member] = process }
    }

    /// Polls `etcdctl endpoint health` on each of `indices` until every one answers
    /// healthy; fails at once when a member exits, and at the deadline otherwise.
    private func waitUntilHealthy(_ indices: some Sequence<Int>, within timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var waiting = Array(indices)
        var lastAnswer: [Int: String] = [:]
        while !waiting.isEmpty {
            for index in waiting {
                guard let process = processes.withLock({ $0[index] }) else {
                    throw failure("member \(members[index].name) is not running", lastAnswer)
                }
                if await process.waitForExit(timeout: .zero) {
                    throw failure("member \(members[index].name) exited with status \(process.status)", lastAnswer)
                }
                let (executable, command) = try invocation(
                    of: index, etcdctl,
                    ["--endpoints", members[index].clientURL, "--dial-timeout", "1s", "--command-timeout", "2s", "endpoint", "health"]
                        + clientArguments)
                let check = try await ProgramRun.run(executable, command, timeout: .seconds(5))
                if check.succeeded {
                    waiting.removeAll { $0 == index }
                } else {
                    lastAnswer[index] = (check.standardError + check.standardOutput).trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            if waiting.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                let names = waiting.map { members[$0].name }.joined(separator: ", ")
                throw failure("\(names) did not become healthy within \(timeout)", lastAnswer)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A failure naming what went wrong, with each member's state, its last health
    /// answer and the end of its log.
    private func failure(_ what: String, _ lastAnswer: [Int: String]) -> StartFailure {
        var lines = ["etcd cluster \(clientURLs.joined(separator: ", ")): \(what)"]
        for (index, member) in members.enumerated() {
            let process = processes.withLock { $0[index] }
            _ = process?.wait(timeout: .zero)
            let state = process.map { $0.status == -1 ? "running" : "exited (\($0.status))" } ?? "not started"
            lines.append("--- \(member.name) \(member.clientURL), \(state)")
            if let answer = lastAnswer[index] { lines.append("last health check: \(answer)") }
            let log = process?.standardError.split(separator: "\n", omittingEmptySubsequences: true) ?? []
            lines += log.suffix(15).map(String.init)
        }
        return StartFailure(description: lines.joined(separator: "\n"))
    }

    /// The executable and arguments that run `program` with `arguments` as member
    /// `member` runs: behind its command prefix, whose program is looked up on PATH.
    private func invocation(of member: Int, _ program: String, _ arguments: [String]) throws -> (String, [String]) {
        let prefix = members[member].commandPrefix
        guard let first = prefix.first else { return (program, arguments) }
        guard let executable = first.contains("/") ? first : Self.locate(first) else {
            throw StartFailure(description: "\(first), of the command prefix `\(prefix.joined(separator: " "))`, is not installed")
        }
        return (executable, Array(prefix.dropFirst()) + [program] + arguments)
    }
}

/// One line of `etcdctl endpoint status --write-out json`: who answered, and whom it
/// follows.
private struct EndpointStatus: Decodable {
    struct Status: Decodable {
        struct Header: Decodable {
            var memberID: UInt64
            enum CodingKeys: String, CodingKey { case memberID = "member_id" }
        }

        var header: Header
        var leader: UInt64
    }

    var status: Status
    enum CodingKeys: String, CodingKey { case status = "Status" }
}

// MARK: - Ports

extension EtcdCluster {
    /// The lowest and past-the-highest port handed out: below Linux's ephemeral range
    /// (32768 up), so that no outgoing connection takes one between the check and the bind.
    private static let portRange = 12_000..<32_000
    /// The next port to try; the first one depends on the process id, so that processes
    /// running side by side start far apart.
    private static let nextPort = Mutex(portRange.lowerBound + Int(getpid()) * 2_003 % portRange.count)

    /// `count` TCP ports on `address` that no caller in this process was given before and
    /// that nothing listens on now (checked by binding each). An IPv4 address that is not
    /// this namespace's (a member inside another network namespace) and any IPv6
    /// address are not checked: such ports are only unique within this process.
    public static func reservePorts(_ count: Int, on address: String = "127.0.0.1") -> [Int] {
        var ports: [Int] = []
        var tried = 0
        while ports.count < count {
            precondition(tried < portRange.count, "no free TCP port left in \(portRange)")
            tried += 1
            let port = nextPort.withLock { next in
                defer { next = next + 1 == portRange.upperBound ? portRange.lowerBound : next + 1 }
                return next
            }
            if isFree(port, on: address) { ports.append(port) }
        }
        return ports
    }

    /// Whether a listener could bind `port` on `address` now (as etcd binds: with
    /// SO_REUSEADDR, so a port whose old connections linger in TIME_WAIT counts as free).
    private static func isFree(_ port: Int, on address: String) -> Bool {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else { return true }
        // Close-on-exec: a program started meanwhile must not inherit the port.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return bound == 0 || errno == EADDRNOTAVAIL
    }

    /// `name` on PATH or in the sbin folders.
    static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int((duration / .milliseconds(1)).rounded())
    }
}
