import Foundation
import Testing

/// What the lab tests need from the machine: root, iproute2, ping, and the programs this
/// package builds. Without one, a test skips with a printed reason; under `CI=true` the
/// absence is a failure.
public enum TestEnvironment {
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Records the skip (or, under CI, the failure) and returns false when `condition` is false.
    public static func require(_ condition: Bool, _ reason: @autoclosure () -> String,
                               sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if condition { return true }
        if isCI {
            Issue.record("prerequisite missing under CI=true: \(reason())", sourceLocation: sourceLocation)
        } else {
            print("SKIP: \(reason())")
        }
        return false
    }

    public static var isRoot: Bool { geteuid() == 0 }

    /// The path of `tool` on PATH or in the sbin folders, or nil.
    public static func tool(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return folders.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// An executable of this package (`glm-tunnel-probe`, `home-agent`, `glmctl`) from the
    /// build folder this test binary runs from, or nil when it is not built.
    public static func builtExecutable(_ name: String) -> String? {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // The test binary sits in `<bin>/GLMPackageTests.xctest` or directly in `<bin>`.
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    /// `glm-tunnel-probe` from the build folder, or nil.
    public static var probe: String? { builtExecutable("glm-tunnel-probe") }

    /// What every namespace lab runs: `ip`, `ping` and `glm-tunnel-probe`.
    public struct LabTools: Sendable {
        public let ip: String
        public let ping: String
        public let probe: String
    }

    /// The lab's tools, or nil after recording why not (root is needed for namespaces and
    /// TUN devices; `what` names the tests in the message).
    public static func labTools(for what: String, sourceLocation: SourceLocation = #_sourceLocation) -> LabTools? {
        guard require(isRoot, "\(what) need root (namespaces, TUN)", sourceLocation: sourceLocation) else { return nil }
        guard let ip = tool("ip") else {
            _ = require(false, "iproute2 (ip) is not installed", sourceLocation: sourceLocation)
            return nil
        }
        guard let ping = tool("ping") else {
            _ = require(false, "ping is not installed (make test installs iputils-ping)", sourceLocation: sourceLocation)
            return nil
        }
        guard let probe else {
            _ = require(false, "glm-tunnel-probe is not built beside the tests (swift build --build-tests builds it)",
                        sourceLocation: sourceLocation)
            return nil
        }
        return LabTools(ip: ip, ping: ping, probe: probe)
    }
}
