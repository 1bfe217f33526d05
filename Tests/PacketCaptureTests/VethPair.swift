import Foundation
import Testing

/// A veth pair in the current network namespace, made for one test and deleted by
/// ``remove()``. Both ends are up, with IPv6 off so the kernel sends nothing on them.
struct VethPair {
    let first: String
    let second: String
    private let ip: String

    private static let counter = Counter()

    /// Creates `glmt<pid>_<n>a` / `...b` (within the 15-character interface name limit).
    static func create() throws -> VethPair {
        guard let ip = CaptureTestSupport.executable(named: "ip", alsoIn: ["/usr/sbin", "/sbin"]) else {
            try CaptureTestSupport.skipOrFail("the ip command (iproute2) is not installed")
        }
        let base = "glmt\(getpid() % 100_000)_\(counter.next())"
        let pair = VethPair(first: base + "a", second: base + "b", ip: ip)
        let added = try CaptureTestSupport.run(ip, ["link", "add", pair.first, "type", "veth", "peer", "name", pair.second])
        guard added.status == 0 else {
            try CaptureTestSupport.skipOrFail("cannot create a veth pair: \(added.standardError)")
        }
        do {
            for name in [pair.first, pair.second] {
                // Best effort: without IPv6 the kernel sends no router solicitations or MLD reports.
                try? "1".write(toFile: "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", atomically: false, encoding: .utf8)
                let up = try CaptureTestSupport.run(ip, ["link", "set", "dev", name, "up"])
                guard up.status == 0 else {
                    throw CaptureTestSupport.PrerequisiteMissing(reason: "ip link set \(name) up: \(up.standardError)")
                }
            }
        } catch {
            pair.remove()
            throw error
        }
        return pair
    }

    /// Deletes the pair (deleting one end deletes both).
    func remove() {
        _ = try? CaptureTestSupport.run(ip, ["link", "del", first])
    }

    private final class Counter: @unchecked Sendable {
        // Guarded by `lock`; tests may create pairs concurrently.
        private let lock = NSLock()
        private var value = 0

        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
}
