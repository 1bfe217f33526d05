import Yams

/// One YAML mapping of the configuration file, checked against the keys its section
/// allows: an unknown key (a typo, most often) is refused at its line, with the nearest
/// allowed key as a suggestion, and so is a key given twice.
package struct ConfigurationSection {
    /// How errors name the section: "the top level", "'timers'", "a 'sites' entry".
    package let name: String
    /// The line of the mapping itself, for keys that are missing from it.
    package let line: Int
    private var values: [String: Node] = [:]
    private let source: ConfigurationSource

    /// `wholeFile` marks the top level: a key missing there is reported at line 0.
    package init(_ node: Node, name: String, allowed: [String], source: ConfigurationSource,
         wholeFile: Bool = false) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else {
            throw source.error("\(name) must be a mapping of keys to values, not \(source.kind(of: node))", at: node)
        }
        self.name = name
        self.line = wholeFile ? 0 : source.line(of: node)
        self.source = source
        var keyLines: [String: Int] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw source.error("a key \(Self.place(name)) must be a plain word, not \(source.kind(of: keyNode))", at: keyNode)
            }
            let key = scalar.string
            guard allowed.contains(key) else {
                var reason = "unknown key '\(key)' \(Self.place(name))"
                if let near = Self.nearest(to: key, in: allowed) { reason += " (did you mean '\(near)'?)" }
                reason += "; allowed: " + allowed.joined(separator: ", ")
                throw source.error(reason, at: keyNode)
            }
            if let first = keyLines[key] {
                throw source.error("key '\(key)' appears twice \(Self.place(name)) (first at line \(first))", at: keyNode)
            }
            keyLines[key] = source.line(of: keyNode)
            values[key] = value
        }
    }

    /// The value of `key`, nil when the key is absent.
    package func optional(_ key: String) -> Node? {
        values[key]
    }

    /// The value of `key`; refused at the section's line when absent.
    package func required(_ key: String) throws(ConfigurationError) -> Node {
        guard let value = values[key] else {
            throw source.error("missing required key '\(key)' \(Self.place(name))", line: line)
        }
        return value
    }

    package func contains(_ key: String) -> Bool {
        values[key] != nil
    }

    /// "at the top level", "in 'timers'".
    private static func place(_ name: String) -> String {
        name == "the top level" ? "at \(name)" : "in \(name)"
    }

    /// The allowed key closest to a misspelt one, if any is close enough to be meant.
    package static func nearest(to key: String, in allowed: [String]) -> String? {
        let typed = Array(key.lowercased().unicodeScalars)
        var best: (key: String, distance: Int)?
        for candidate in allowed {
            let distance = editDistance(typed, Array(candidate.unicodeScalars))
            if distance <= max(1, min(3, candidate.count / 3)), distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.key
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    private static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
