/// Why a configuration file was refused: where, and what is wrong there.
///
/// `description` reads `path:line: reason`, the form editors and compilers use, so an
/// operator can jump to the line. `line` counts from 1; it is 0 when the reason concerns
/// the whole file (unreadable, empty, a required top-level key missing).
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file as it was named to the loader.
    public var path: String
    /// 1-based line of the offending entry; 0 for the whole file.
    public var line: Int
    /// What is wrong, in words an operator can act on.
    public var reason: String

    public init(path: String, line: Int, reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(path):\(line): \(reason)" }
}
