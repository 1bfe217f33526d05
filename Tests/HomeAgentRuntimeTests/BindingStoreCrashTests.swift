import Foundation
import GLMWire
import HomeAgentCore
import HomeAgentRuntime
import Testing

/// The store's promise under `kill -9`: a binding whose `save` returned is there after
/// the process dies at any moment.
///
/// The test binary plays both parts. The parent test re-runs this binary with
/// ``childVariable`` set, selecting only ``childSavesUntilKilled()``, which saves
/// bindings in a loop and prints each MAC once `save` has returned. The parent kills it
/// with SIGKILL mid-stream, then opens the file and looks for every printed binding.
@Suite("Binding store: kill -9")
struct BindingStoreCrashTests {
    static let childVariable = "GLM_BINDING_STORE_CRASH_CHILD"
    static let savedPrefix = "saved "
    static let killAfter = 200

    @Test("Every binding whose save returned survives kill -9")
    func acknowledgedBindingsSurvive() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")

        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["--testing-library", "swift-testing", "--filter", "childSavesUntilKilled"]
        child.environment = ProcessInfo.processInfo.environment.merging([Self.childVariable: path]) { $1 }
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.nullDevice
        try child.run()

        // Should the child never get going, do not wait for ever.
        let watchdog = DispatchWorkItem { kill(child.processIdentifier, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        defer { watchdog.cancel() }

        var printed: [Int] = []
        var pending = Data()
        var killed = false
        while true {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // end of file: the child is gone
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if line.hasPrefix(Self.savedPrefix), let index = Int(line.dropFirst(Self.savedPrefix.count)) {
                    printed.append(index)
                }
            }
            if !killed, printed.count >= Self.killAfter {
                // Lines already in the pipe, or written before the signal lands, were
                // acknowledged too: the loop keeps reading them until end of file.
                kill(child.processIdentifier, SIGKILL)
                killed = true
            }
        }
        child.waitUntilExit()

        #expect(killed, "the child stopped after \(printed.count) saves without being killed")
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(child.terminationStatus == SIGKILL)
        try #require(printed.count >= Self.killAfter)

        let store = try BindingStore(path: path)
        let stored = Dictionary(uniqueKeysWithValues: try store.loadAll().map { ($0.vm, $0) })
        let missing = printed.filter { stored[BindingSamples.binding($0).vm] != BindingSamples.binding($0) }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing)")
        // At most one save can have committed without its line being printed.
        #expect(stored.count == printed.count || stored.count == printed.count + 1)
    }

    /// The child's part; runs only when the parent test starts it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[BindingStoreCrashTests.childVariable] != nil, "runs only as the child of the kill -9 test"))
    func childSavesUntilKilled() throws {
        let path = try #require(ProcessInfo.processInfo.environment[Self.childVariable])
        let store = try BindingStore(path: path)
        for index in 0..<1_000_000 {
            try store.save(BindingSamples.binding(index))
            let line = Array("\(Self.savedPrefix)\(index)\n".utf8)
            line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { exit(1) }
                    offset += written
                }
            }
        }
    }
}
