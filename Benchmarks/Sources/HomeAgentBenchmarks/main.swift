import Etcd
import Foundation
import GLMWire
import HomeAgentCore
import HomeAgentRuntime
import Logging
import NIOCore
import NIOPosix

// Home agent benchmarks, release build: `make bench` or
// `cd Benchmarks && swift run -c release HomeAgentBenchmarks`.
//
// 1. Authenticated PBU→PBA transactions per second through the running daemon (real UDP
//    on loopback, real SQLite with synchronous=FULL on this disk), beside a minimal UDP
//    echo server driven by the same client: the ceiling for one request/response per
//    datagram on this machine.
//    The same through a cluster member's store, a one-member etcd on this host (fsync on
//    each commit, as etcd does), when `etcd` is installed.
// 2. The binding cache at 1,000,000 VMs: memory per binding, lookup time, and restoring
//    them as a start does, from SQLite and (with etcd) from a cluster's store.

let arguments = CommandLine.arguments
let duration = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 5
let window = Int(ProcessInfo.processInfo.environment["BENCH_WINDOW"] ?? "") ?? 64
let cacheSize = Int(ProcessInfo.processInfo.environment["BENCH_BINDINGS"] ?? "") ?? 1_000_000

func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// CPU seconds this process (daemon and load client) has used, user + system.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

let home = IPv4Address(127, 0, 0, 1)
let site = IPv4Address(127, 0, 0, 2)
let key = [UInt8](repeating: 0x5a, count: 32)
let association = SecurityAssociation(spi: 256, key: key)!
let vmCount = 1000

func vmMAC(_ index: Int) -> MACAddress {
    MACAddress(0x52, 0x54, 0x00, UInt8(index >> 16 & 0xff), UInt8(index >> 8 & 0xff), UInt8(index & 0xff))
}

// MARK: 1. Transactions per second

print("== PBU→PBA transactions per second (window \(window), \(format(duration)) s each, 2 cores shared by client and server)")
let echo = try await EchoServer.start(host: "127.0.0.1", port: 25436)
let echoClient = LoadClient(bindTo: "127.0.0.2")
let payload = [UInt8](repeating: 0x3b, count: 80)
let echoRate = echoClient.run(to: "127.0.0.1", port: 25436, window: window, duration: duration) { _ in payload }
try await echo.close()

let directory = (ProcessInfo.processInfo.environment["BENCH_DIRECTORY"] ?? FileManager.default.currentDirectoryPath + "/.build") + "/bench-home-agent-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
var yaml = """
address: 127.0.0.1
port: 25437
home-interface: lo
database: \(directory)/bindings.sqlite
control-socket: \(directory)/control.sock
metrics: off
log-level: error
timers: { timestamp-window-ms: 60000 }
sites:
  - { name: site-a, address: 127.0.0.2, spi: 256, key: \(key.hexString) }
vms:

"""
for index in 0..<vmCount {
    yaml += "  - { mac: \"\(vmMAC(index))\", address: 10.\(index >> 8 & 0xff).\(index & 0xff).1/8, gateway: 10.255.255.254 }\n"
}
let configuration = try HomeAgentConfiguration(yaml: yaml, path: "bench.yaml")
var logger = Logger(label: "bench")
logger.logLevel = .error

/// Runs the daemon on `store` under the load: every request is a signed PBU (MN-ID, HI,
/// ATT, Timestamp, IPv4 HoA Request) for one of 1000 VMs in turn; each is a binding
/// change the daemon must make durable before its PBA. Returns the rate and the VMs bound.
func transactions(store: any BindingPersistence) async throws -> (rate: Double, bound: Int) {
    let daemon = try await HomeAgentDaemon(configuration: configuration, store: store, dataPlane: nil, logger: logger)
    let running = Task { try await daemon.run() }
    while await daemon.signalingPort() == nil { try await Task.sleep(for: .milliseconds(5)) }
    let start = Date().timeIntervalSince1970
    let signer = MessageSigner(association: association, scope: AuthenticationScope(sender: site, receiver: home))
    let rate = echoClient.run(to: "127.0.0.1", port: 25437, window: window, duration: duration) { index in
        let stamp = PMIPTimestamp(rawValue: PMIPTimestamp(secondsSince1970: start)!.rawValue + UInt64(index / vmCount + 1))
        let update = ProxyBindingUpdate(sequenceNumber: UInt16(truncatingIfNeeded: index), lifetimeUnits: 75, options: [
            .mobileNodeIdentifier(.eui48(vmMAC(index % vmCount))), .handoffIndicator(.handoffStateNotChanged),
            .accessTechnologyType(.virtual), .timestamp(stamp), .ipv4HomeAddressRequest(IPv4HomeAddressRequest())])
        return Array(try! MobilityHeader.encode(.proxyBindingUpdate(update), signer: signer).readableBytesView)
    }
    daemon.shutdown()
    try await running.value
    return (rate, await daemon.bindings().count)
}

let (agentRate, bound) = try await transactions(store: try BindingStore(path: configuration.database))
print("""
  UDP echo baseline        \(format(echoRate)) requests/s
  home-agent PBU→PBA       \(format(agentRate)) transactions/s  (\(format(100 * agentRate / echoRate))% of the baseline; \(bound) VMs bound; SQLite)
""")

// The same through etcd: a one-member etcd on this host, the daemon a member that owns the cluster.
let etcd = try await BenchEtcd.start(directory: directory)
if let etcd {
    let store = EtcdBindingStore(client: etcd.client, keys: ClusterKeys(cluster: "bench"), term: etcd.term)
    let etcdCPU = etcd.cpuSeconds, ownCPU = processCPUSeconds()
    let (etcdRate, etcdBound) = try await transactions(store: store)
    // Where the two cores went: etcd's own share tells whether the store or the agent bounds the rate.
    let etcdUsed = etcd.cpuSeconds - etcdCPU, ownUsed = processCPUSeconds() - ownCPU
    print("""
      home-agent PBU→PBA       \(format(etcdRate)) transactions/s  (\(format(100 * etcdRate / echoRate))% of the baseline; \(etcdBound) VMs bound; etcd, one member on this host)
                               CPU in those \(format(duration)) s: etcd \(format(etcdUsed, 1)) s, agent and client \(format(ownUsed, 1)) s
    """)
} else {
    print("  etcd is not installed or did not start (scripts/install-deps.sh installs it): the cluster's store is not measured")
}

// MARK: 2. The binding cache at scale

print("== Binding cache with \(cacheSize) VMs")
let now = Date().timeIntervalSince1970
let sites = [SitePolicy(name: "site-a", address: site, association: association)]
var vms: [VMPolicy] = []
vms.reserveCapacity(cacheSize)
var bindings: [Binding] = []
bindings.reserveCapacity(cacheSize)
for index in 0..<cacheSize {
    let mac = vmMAC(index)
    let address = IPv4Address(rawValue: 0x0a00_0000 + UInt32(index) + 1)
    vms.append(VMPolicy(mac: mac, address: address, prefixLength: 8, gateway: IPv4Address(10, 255, 255, 254)))
    bindings.append(Binding(vm: mac, homeAddress: address, siteName: "site-a", siteAddress: site, sitePort: 5436,
                            timestamp: PMIPTimestamp(secondsSince1970: now)!, sequenceNumber: 1, lifetime: 3600,
                            registeredAt: now, expiresAt: now + 3600, framing: .bare))
}
let policy = try HomeAgentPolicy(address: home, sites: sites, vms: vms)
let bigStore = try BindingStore(path: "\(directory)/big.sqlite")
let saveStart = Date()
try bigStore.saveAll(bindings)
let saveSeconds = Date().timeIntervalSince(saveStart)

/// Restores the cache from `store` as a start does (read, rebuild the cache and its
/// timers): seconds taken, bindings restored.
func restore(from store: any BindingPersistence) async throws -> (seconds: Double, count: Int, core: HomeAgentCore) {
    let start = Date()
    let loaded = try await store.storedBindings()
    var core = HomeAgentCore(policy: policy, restartCounter: 1)
    _ = core.restore(loaded, at: now)
    return (Date().timeIntervalSince(start), core.bindings.count, core)
}

let before = residentBytes()
var (restoreSeconds, restored, core) = try await restore(from: bigStore)
let after = residentBytes()
// Where a restore's time goes: reading the rows alone, then rebuilding the cache from them.
let readStart = Date()
let rows = try await bigStore.storedBindings()
let readSeconds = Date().timeIntervalSince(readStart)
let rebuildStart = Date()
var rebuilt = HomeAgentCore(policy: policy, restartCounter: 1)
_ = rebuilt.restore(rows, at: now)
let rebuildSeconds = Date().timeIntervalSince(rebuildStart)
rebuilt = HomeAgentCore(policy: policy, restartCounter: 1)

var found = 0
let lookups = 1_000_000
let lookupStart = Date()
var index = 12345
for _ in 0..<lookups {
    index = (index &* 1_103_515_245 &+ 12345) & 0x7fff_ffff
    if core.bindings[vmMAC(index % cacheSize)] != nil { found += 1 }
}
let lookupNanoseconds = Date().timeIntervalSince(lookupStart) * 1e9 / Double(lookups)
core = HomeAgentCore(policy: policy, restartCounter: 1)
print("""
  write \(cacheSize) bindings to SQLite (one transaction)   \(format(saveSeconds, 2)) s
  restore at start from SQLite (read + rebuild cache + timers) \(format(restoreSeconds, 2)) s  (\(restored) bindings)
    of which: reading the rows \(format(readSeconds, 2)) s, rebuilding the cache \(format(rebuildSeconds, 2)) s
  memory per binding (resident, cache + timers + loaded rows) \(format(Double(after - before) / Double(cacheSize))) bytes
  lookup by MAC (random)                                    \(format(lookupNanoseconds)) ns  (\(found) found)
""")

if let etcd {
    // The same bindings in etcd, as a cluster's store holds them: committed in fenced
    // transactions, several at a time, then restored as a member taking over does.
    let keys = ClusterKeys(cluster: "bench-restore")
    let writeStart = Date()
    try await etcd.claim(keys)
    let fenced = EtcdBindingStore(client: etcd.client, keys: keys, term: try await etcd.term(keys))
    let chunk = EtcdBindingStore.operationsPerTransaction
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        for _ in 0..<16 {
            let range = next..<min(next + chunk, bindings.count)
            guard !range.isEmpty else { break }
            next = range.upperBound
            let part = Array(bindings[range])
            group.addTask { try await fenced.commit(BindingChanges(saving: part)) }
        }
        while try await group.next() != nil {
            let range = next..<min(next + chunk, bindings.count)
            guard !range.isEmpty else { continue }
            next = range.upperBound
            let part = Array(bindings[range])
            group.addTask { try await fenced.commit(BindingChanges(saving: part)) }
        }
    }
    let writeSeconds = Date().timeIntervalSince(writeStart)
    bindings = []
    let (etcdSeconds, etcdRestored, _) = try await restore(from: fenced)
    // Where a restore's time goes: the paged range alone, then decoding its values.
    let rangeStart = Date()
    let etcdBefore = etcd.cpuSeconds, ownBefore = processCPUSeconds()
    let read = try await etcd.client.range(prefix: keys.bindings)
    let rangeSeconds = Date().timeIntervalSince(rangeStart)
    let rangeEtcdCPU = etcd.cpuSeconds - etcdBefore, rangeOwnCPU = processCPUSeconds() - ownBefore
    let decodeStart = Date()
    let decoded = try EtcdBindingStore.decodeBindings(read.kvs)
    let decodeSeconds = Date().timeIntervalSince(decodeStart)
    // A member taking over already holds them, in its mirror (the watch): it only rebuilds.
    let takeover = EtcdBindingStore(client: etcd.client, keys: keys, term: fenced.term, bindingsAtStart: decoded)
    let (takeoverSeconds, takeoverRestored, _) = try await restore(from: takeover)
    print("""
      write \(cacheSize) bindings to etcd (fenced transactions of \(chunk), 16 at a time) \(format(writeSeconds, 2)) s
      restore at start from etcd (paged range + decode + rebuild cache + timers) \(format(etcdSeconds, 2)) s  (\(etcdRestored) bindings)
        of which: paged range \(format(rangeSeconds, 2)) s (CPU: etcd \(format(rangeEtcdCPU, 2)) s, this process \(format(rangeOwnCPU, 2)) s), decoding \(format(decodeSeconds, 2)) s
      restore at a takeover (bindings mirrored by the watch; rebuild cache + timers) \(format(takeoverSeconds, 2)) s  (\(takeoverRestored) bindings)
    """)
    await etcd.stop()
}
