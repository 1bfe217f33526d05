import Yams

/// The YAML document itself: syntax errors reported at the line libyaml found them.
extension ConfigurationSource {
    /// The document's root node; refused when the text is not YAML or is empty.
    package func compose(_ yaml: String) throws(ConfigurationError) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw syntaxError(error, in: yaml)
        } catch {
            throw self.error("not YAML: \(error)", line: 0)
        }
        guard let root else { throw error("the file is empty", line: 0) }
        return root
    }

    /// The top level of the document: a mapping with only `allowed` keys.
    package func topLevel(_ yaml: String, allowed: [String]) throws(ConfigurationError) -> ConfigurationSection {
        try ConfigurationSection(compose(yaml), name: "the top level", allowed: allowed, source: self, wholeFile: true)
    }

    private func syntaxError(_ error: YamlError, in yaml: String) -> ConfigurationError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var reason = "YAML syntax: \(problem)"
            if let context { reason += " (\(context.text) at line \(context.mark.line))" }
            return self.error(reason, line: mark.line)
        case .reader(let problem, let offset, _, _):
            let line = offset.map { offset in 1 + yaml.prefix(offset).reduce(0) { $1 == "\n" ? $0 + 1 : $0 } } ?? 0
            return self.error("YAML syntax: \(problem)", line: line)
        default:
            return self.error("YAML: \(error)", line: 0)
        }
    }
}
