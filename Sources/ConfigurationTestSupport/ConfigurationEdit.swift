import AgentConfiguration
import Testing

/// Configuration text derived from a valid sample by editing lines, for the tests that
/// check a bad file is refused at the right line. Test support only.
public enum ConfigurationEdit {
    /// `base` with lines (numbered from 1) replaced, a nil replacement deleting the line
    /// and a replacement holding several lines inserting them, then `tail` appended.
    public static func apply(to base: String, replacing replacements: [Int: String?] = [:], appending tail: String = "") -> String {
        var lines: [String] = []
        for (index, text) in base.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let replacement = replacements[index + 1] {
                if let replacement { lines.append(replacement) }
            } else {
                lines.append(String(text))
            }
        }
        if lines.last == "" { lines.removeLast() }
        return (lines + (tail.isEmpty ? [] : [tail])).joined(separator: "\n") + "\n"
    }
}

/// A configuration file that must be refused, the line the refusal must name, and words
/// its reason must contain.
public struct BadConfigurationFile: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    public let name: String
    public let yaml: String
    public let line: Int
    public let reason: [String]

    public init(_ name: String, yaml: String, line: Int, _ reason: [String]) {
        self.name = name
        self.yaml = yaml
        self.line = line
        self.reason = reason
    }

    public var description: String { name }
    public var testDescription: String { name }

    /// Expects `load` to refuse ``yaml`` as a file at `path`: at ``line``, naming `path`,
    /// with every phrase of ``reason``.
    public func expectRefused(path: String, sourceLocation: SourceLocation = #_sourceLocation,
                              by load: (String, String) throws -> Void) {
        #expect(sourceLocation: sourceLocation) {
            try load(yaml, path)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            #expect(error.path == path, sourceLocation: sourceLocation)
            #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
            for words in reason {
                #expect(error.reason.contains(words), "\(error)", sourceLocation: sourceLocation)
            }
            #expect(error.description == "\(path):\(error.line): \(error.reason)", sourceLocation: sourceLocation)
            return true
        }
    }
}
