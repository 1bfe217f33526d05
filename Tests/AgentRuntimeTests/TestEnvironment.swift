import Foundation
import Testing

/// What the data-plane tests need from the machine: root, iproute2, ping, and the
/// `glm-tunnel-probe` binary. Without one, a test skips with a printed reason; under
/// `CI=true` the absence is a failure.
enum TestEnvironment {
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Records the skip (or, under CI, the failure) and returns false when `condition` is false.
    static func require(_ condition: Bool, _ reason: @autoclosure () -> String,
                        sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if condition { return true }
        if isCI {
            Issue.record("prerequisite missing under CI=true: \(reason())", sourceLocation: sourceLocation)
        } else {
            print("SKIP: \(reason())")
        }
        return false
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// The path of `tool` on PATH or in the sbin folders, or nil.
    static func tool(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return folders.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `glm-tunnel-probe` from the build folder this test binary runs from.
    static var probe: String? {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // The test binary sits in `<bin>/GLMPackageTests.xctest` or directly in `<bin>`.
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("glm-tunnel-probe").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }
}

/// A program run to completion (or killed at its deadline), with its output.
struct ProgramRun {
    let status: Int32
    let standardOutput: String
    let standardError: String
    let timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }

    init(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(20)) throws {
        let process = ChildProcess(executable, arguments)
        try process.start()
        timedOut = !process.wait(timeout: timeout)
        if timedOut { process.kill() }
        status = process.status
        standardOutput = process.standardOutput
        standardError = process.standardError
    }
}

/// A program running in the background, its output going to files.
final class ChildProcess: @unchecked Sendable {
    // Used from one test at a time; `Process` reports termination on its own thread,
    // which only signals the semaphore.
    private let process = Process()
    private let outputFile: String
    private let errorFile: String
    private let exited = DispatchSemaphore(value: 0)
    private var hasExited = false

    init(_ executable: String, _ arguments: [String]) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("glm-child-\(UUID().uuidString)").path
        outputFile = base + ".out"
        errorFile = base + ".err"
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }

    func start() throws {
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outputFile)
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        process.standardInput = FileHandle.nullDevice
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the program to exit; false when `timeout` passed first.
    func wait(timeout: Duration) -> Bool {
        if hasExited { return true }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        guard exited.wait(timeout: .now() + seconds) == .success else { return false }
        hasExited = true
        process.waitUntilExit()
        return true
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    func terminate(grace: Duration = .seconds(5)) {
        guard !hasExited else { return }
        Foundation.kill(process.processIdentifier, SIGTERM)
        if !wait(timeout: grace) { kill() }
    }

    func kill() {
        guard !hasExited else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = wait(timeout: .seconds(5))
    }

    var status: Int32 { hasExited ? process.terminationStatus : -1 }
    var standardOutput: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: outputFile)
        try? FileManager.default.removeItem(atPath: errorFile)
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}
