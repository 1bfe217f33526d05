import Foundation
import Testing

/// Tools the interop tests run. Without one, a test skips with a printed reason; under
/// `CI=true` the absence is a failure.
enum Prerequisite {
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The path of `tool` on PATH, or nil after recording the skip or failure.
    static func tool(_ tool: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        missing("\(tool) is not installed (make test installs it)", sourceLocation: sourceLocation)
        return nil
    }

    static func missing(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if isCI {
            Issue.record("prerequisite missing under CI=true: \(reason)", sourceLocation: sourceLocation)
        } else {
            print("SKIP: \(reason)")
        }
    }
}

/// Runs a program to completion and returns its exit status and output.
struct ProgramRun {
    let status: Int32
    let standardOutput: String
    let standardError: String

    init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        standardOutput = String(decoding: outData, as: UTF8.self)
        standardError = String(decoding: errData, as: UTF8.self)
    }
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("glm-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
