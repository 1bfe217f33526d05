import Foundation

/// The namespaces the handoff benchmark runs the real agents in:
///
/// ```
///  [home] br-home, wan0 198.18.0.2/24 ─── wan0 198.18.0.3/24 [site] br0 ─ vm0 ─── eth0 [vm]
///         home-agent run                       site-agent run          (announces sent here)
/// ```
///
/// No WAN delay: what is measured is each agent's own processing, not the round trip.
final class HandoffLab {
    let prefix = "glm-bench-\(getpid())"
    var home: String { "\(prefix)-home" }
    var site: String { "\(prefix)-site" }
    var vm: String { "\(prefix)-vm" }
    let folder: String
    private var children: [Process] = []

    init() throws {
        folder = NSTemporaryDirectory() + "glm-site-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for namespace in [home, site, vm] {
            try ip(["netns", "add", namespace])
            try ip(["-n", namespace, "link", "set", "lo", "up"])
        }
        try ip(["-n", home, "link", "add", "br-home", "type", "bridge"])
        try ip(["-n", home, "link", "add", "wan0", "type", "veth", "peer", "name", "wan0", "netns", site])
        try ip(["-n", site, "link", "add", "br0", "type", "bridge"])
        try ip(["-n", site, "link", "add", "vm0", "type", "veth", "peer", "name", "eth0", "netns", vm])
        try ip(["-n", site, "link", "set", "vm0", "master", "br0"])
        try ip(["-n", home, "address", "add", "198.18.0.2/24", "dev", "wan0"])
        try ip(["-n", site, "address", "add", "198.18.0.3/24", "dev", "wan0"])
        for (namespace, link) in [(home, "br-home"), (home, "wan0"), (site, "wan0"), (site, "br0"), (site, "vm0"), (vm, "eth0")] {
            try ip(["-n", namespace, "link", "set", link, "up"])
        }
    }

    func ip(_ arguments: [String]) throws {
        let status = try run("/usr/sbin/ip", arguments)
        guard status == 0 else { throw BenchmarkError("ip \(arguments.joined(separator: " ")) failed (\(status))") }
    }

    /// Runs a program to completion; its output goes to the benchmark's folder.
    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Starts `arguments` inside `namespace`, its output in `log`; stopped by ``remove()``.
    func spawn(_ namespace: String, _ arguments: [String], log: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace] + arguments
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        process.environment = environment
        try process.run()
        children.append(process)
    }

    func file(_ name: String) -> String { "\(folder)/\(name)" }

    /// SIGTERM to every program started here (and a wait for it), SIGKILL to anything left
    /// in the namespaces, then the namespaces go. Safe to call twice.
    func remove() {
        for child in children.reversed() where child.isRunning {
            child.terminate()
            let deadline = Date().addingTimeInterval(5)
            while child.isRunning, Date() < deadline { usleep(10_000) }
            if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        }
        // Whatever still runs in the namespaces (a program's own children among them), by PID.
        for namespace in [home, site, vm] {
            let pids = Pipe()
            let list = Process()
            list.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            list.arguments = ["netns", "pids", namespace]
            list.standardOutput = pids
            list.standardError = FileHandle.nullDevice
            if (try? list.run()) != nil {
                let text = String(decoding: pids.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                list.waitUntilExit()
                for pid in text.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
        }
        for namespace in [home, site, vm] { _ = try? run("/usr/sbin/ip", ["netns", "delete", namespace]) }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
