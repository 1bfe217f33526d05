import Foundation
import LabProcesses
import Synchronization

/// What every namespace lab does with iproute2: run `ip`, run programs inside a
/// namespace, set sysctls there, add a quiet namespace, and delete namespaces with
/// whatever runs in them. ``LabTopology`` and ``FederationTopology`` build on it.
struct NamespaceCommands: Sendable {
    /// The `ip` program.
    let ip: String

    private static let counter = Mutex(0)

    /// A new lab's name prefix: `glm-NAME`, or `glm-<pid>-<n>` counted across every kind
    /// of lab in the process, so that concurrent labs never collide.
    static func prefix(name: String?) -> String {
        if let name { return "glm-\(name)" }
        let run = counter.withLock { value in
            value += 1
            return value
        }
        return "glm-\(getpid())-\(run)"
    }

    /// `ip ARGUMENTS`, failing with iproute2's message.
    func command(_ arguments: [String]) async throws {
        let run = try await ProgramRun.run(ip, arguments, timeout: .seconds(10))
        guard run.succeeded else {
            throw LabTopology.LabError("ip \(arguments.joined(separator: " ")): \(run.standardError)")
        }
    }

    /// `ip ARGUMENTS` and its output.
    func output(_ arguments: [String]) async throws -> String {
        try await ProgramRun.run(ip, arguments, timeout: .seconds(10)).standardOutput
    }

    /// Sets sysctls (`net.ipv4.ip_forward`...) inside `namespace`, in one shell.
    func sysctl(_ namespace: String, _ settings: [(name: String, value: String)]) async throws {
        let script = settings.map { "echo \($0.value) > /proc/sys/\($0.name.replacingOccurrences(of: ".", with: "/"))" }
        try await command(["netns", "exec", namespace, "sh", "-ec", script.joined(separator: "; ")])
    }

    /// Runs a program inside `namespace` to completion, without blocking a thread of
    /// Swift's cooperative pool while it runs.
    func run(_ namespace: String, _ arguments: [String], timeout: Duration) async throws -> ProgramRun {
        try await ProgramRun.run(ip, ["netns", "exec", namespace] + arguments, timeout: timeout)
    }

    /// Starts a program inside `namespace` (`ip netns exec` execs it: the child is the program).
    func spawn(_ namespace: String, _ arguments: [String]) throws -> ChildProcess {
        let child = ChildProcess(ip, ["netns", "exec", namespace] + arguments)
        try child.start()
        return child
    }

    /// Adds `namespace` with `lo` up, IPv6 off and rp_filter off.
    func addNamespace(_ namespace: String) async throws {
        try await command(["netns", "add", namespace])
        try await command(["-n", namespace, "link", "set", "lo", "up"])
        // Set before any link exists, so that every link (and every link moved in
        // later) inherits them from `default`.
        try await sysctl(namespace, [("net.ipv6.conf.all.disable_ipv6", "1"), ("net.ipv6.conf.default.disable_ipv6", "1"),
                                     ("net.ipv4.conf.all.rp_filter", "0"), ("net.ipv4.conf.default.rp_filter", "0")])
    }

    /// Kills every process inside `namespaces`, then deletes them. Synchronous, and quiet
    /// about namespaces that do not exist.
    func deleteNamespaces(_ namespaces: [String]) {
        for namespace in namespaces {
            let pids = (try? ProgramRun(ip, ["netns", "pids", namespace], timeout: .seconds(10)).standardOutput) ?? ""
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) {
                kill(pid, SIGKILL)
            }
        }
        for namespace in namespaces {
            _ = try? ProgramRun(ip, ["netns", "delete", namespace], timeout: .seconds(10))
        }
    }
}
