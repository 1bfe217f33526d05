import Foundation
import LabSupport
import Testing

/// Tools the interop tests run. Without one, a test skips with a printed reason; under
/// `CI=true` the absence is a failure.
enum Prerequisite {
    /// The path of `tool`, or nil after recording the skip or failure.
    static func tool(_ tool: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let path = TestEnvironment.tool(tool)
        return TestEnvironment.require(path != nil, "\(tool) is not installed (make test installs it)",
                                       sourceLocation: sourceLocation) ? path : nil
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
