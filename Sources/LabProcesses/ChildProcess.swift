import Foundation

/// A program run to completion (or killed at its deadline), with its output.
public struct ProgramRun: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
    public let timedOut: Bool

    public var succeeded: Bool { status == 0 && !timedOut }

    /// Runs the program, blocking the calling thread until it exits or `timeout` passes.
    public init(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(20)) throws {
        let process = ChildProcess(executable, arguments)
        try process.start()
        let exited = process.wait(timeout: timeout)
        self.init(finished: process, timedOut: !exited)
    }

    /// Runs the program without blocking a thread of Swift's cooperative pool while it runs.
    public static func run(_ executable: String, _ arguments: [String],
                           timeout: Duration = .seconds(20)) async throws -> ProgramRun {
        let process = ChildProcess(executable, arguments)
        try process.start()
        let exited = await process.waitForExit(timeout: timeout)
        return ProgramRun(finished: process, timedOut: !exited)
    }

    private init(finished process: ChildProcess, timedOut: Bool) {
        if timedOut { process.kill() }
        self.timedOut = timedOut
        status = process.status
        standardOutput = process.standardOutput
        standardError = process.standardError
    }
}

/// A program running in the background, its output going to files.
public final class ChildProcess: @unchecked Sendable {
    // Used from one test at a time; `Process` reports termination on its own thread,
    // which only signals the semaphore.
    private let process = Process()
    private let outputFile: String
    private let errorFile: String
    private let exited = DispatchSemaphore(value: 0)
    private var hasExited = false

    public init(_ executable: String, _ arguments: [String]) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("glm-child-\(UUID().uuidString)").path
        outputFile = base + ".out"
        errorFile = base + ".err"
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }

    public func start() throws {
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outputFile)
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        process.standardInput = FileHandle.nullDevice
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    /// Waits for the program to exit, blocking the calling thread; false when `timeout`
    /// passed first.
    public func wait(timeout: Duration) -> Bool {
        if hasExited { return true }
        guard exited.wait(timeout: .now() + timeout.seconds) == .success else { return false }
        reap()
        return true
    }

    /// Waits for the program to exit, polling every 20 ms without blocking a thread;
    /// false when `timeout` passed first.
    public func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !hasExited {
            if exited.wait(timeout: .now()) == .success {
                reap()
                break
            }
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    private func reap() {
        hasExited = true
        process.waitUntilExit()
    }

    /// Sends `signal` (SIGTERM, SIGHUP...) unless the program has exited.
    public func signal(_ signal: Int32) {
        guard !hasExited else { return }
        Foundation.kill(process.processIdentifier, signal)
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func terminate(grace: Duration = .seconds(5)) {
        guard !hasExited else { return }
        signal(SIGTERM)
        if !wait(timeout: grace) { kill() }
    }

    /// SIGKILL, and waits for the exit.
    public func kill() {
        guard !hasExited else { return }
        signal(SIGKILL)
        _ = wait(timeout: .seconds(5))
    }

    /// The exit status, or -1 while the program runs (or when it was killed by a signal,
    /// the signal's number).
    public var status: Int32 { hasExited ? process.terminationStatus : -1 }
    public var standardOutput: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }
    public var standardError: String { (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "" }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: outputFile)
        try? FileManager.default.removeItem(atPath: errorFile)
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes, blocking the thread.
public func eventually(timeout: Duration = .seconds(5), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes, sleeping between
/// polls without holding a thread: ``eventually(timeout:_:)`` for async tests.
public func waitUntil(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
