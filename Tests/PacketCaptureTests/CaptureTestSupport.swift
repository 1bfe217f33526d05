import Foundation
import GLMWire
import PacketCapture
import Testing

/// Paths, tools and environment checks shared by the capture tests.
enum CaptureTestSupport {
    static let vmMAC = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let bridgeMAC = MACAddress(0x5e, 0x3f, 0xac, 0xb6, 0xd9, 0x30)
    static let vmIPv4 = IPv4Address(10, 10, 0, 50)
    static let gatewayIPv4 = IPv4Address(10, 10, 0, 1)

    /// Whether the run is CI's (`CI=true`), where a missing prerequisite is a failure, not a skip.
    static var isCI: Bool {
        ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"
    }

    /// The path of a capture under `Fixtures/`.
    static func fixture(_ name: String) throws -> String {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil),
                                  "the Fixtures resource folder is missing from the test bundle")
        return folder.appendingPathComponent(name).path
    }

    /// A fresh, empty directory for one test's files, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("glm-capture-tests-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Skips the current test with `reason` printed, or fails it under `CI=true`.
    static func skipOrFail(_ reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Never {
        if isCI {
            throw PrerequisiteMissing(reason: "CI=true and \(reason)")
        }
        print("SKIPPED: \(reason)")
        try Test.cancel("skipped: \(reason)", sourceLocation: sourceLocation)
    }

    struct PrerequisiteMissing: Error, CustomStringConvertible {
        let reason: String
        var description: String { "prerequisite missing: \(reason)" }
    }

    /// The full path of `name` on PATH, then in `alsoIn`, if it is anywhere.
    static func executable(named name: String, alsoIn extraFolders: [String] = []) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + extraFolders
        return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct CommandResult {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs a program to completion and collects its output.
    static func run(_ executable: String, _ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read before waiting so a full pipe cannot stall the child.
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus,
                             standardOutput: String(decoding: outData, as: UTF8.self),
                             standardError: String(decoding: errData, as: UTF8.self))
    }

    /// Runs tshark on `file` with `arguments` and returns its output lines; skips
    /// (or fails under CI) when tshark is not installed.
    static func tshark(_ file: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        guard let tshark = executable(named: "tshark") else {
            try skipOrFail("tshark is not on PATH (apt-get install tshark)", sourceLocation: sourceLocation)
        }
        let result = try run(tshark, ["-n", "-r", file] + arguments)
        #expect(result.status == 0, "tshark failed: \(result.standardError)", sourceLocation: sourceLocation)
        return result.standardOutput.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }
}
