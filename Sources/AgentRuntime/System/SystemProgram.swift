import Foundation

/// Where the host's administration programs (`ip`, `bridge`, `nft`) are: the first of
/// the sbin and bin folders that has one.
public enum SystemProgram {
    public static func path(_ name: String) -> String? {
        ["/usr/sbin/\(name)", "/sbin/\(name)", "/usr/bin/\(name)", "/bin/\(name)"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// What a program printed and how it ended.
    public struct Run: Sendable {
        public var status: Int32
        public var output: Data
        public var errors: Data
    }

    /// Runs `program` with `input` (when given) on its standard input, to completion.
    /// Small outputs only: standard output is read to its end before standard error.
    public static func run(_ program: String, _ arguments: [String], input: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe(), stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if let input {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaints = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: printed, errors: complaints)
    }
}
