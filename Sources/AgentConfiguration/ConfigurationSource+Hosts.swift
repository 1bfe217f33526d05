import GLMWire
import Yams

extension ConfigurationSource {
    /// A list of hosts' addresses, each one address (`198.18.2.11`) or a prefix that
    /// holds several (`198.18.2.0/24`, written with its network address). At least one;
    /// no two overlapping.
    package func hosts(_ node: Node, key: String) throws(ConfigurationError) -> [IPv4Prefix] {
        let entries = try list(node, key: key)
        guard !entries.isEmpty else { throw error("'\(key)' lists no host", at: node) }
        var prefixes: [(prefix: IPv4Prefix, line: Int)] = []
        for entry in entries {
            let text = try self.text(entry, key: key)
            let prefix: IPv4Prefix
            if text.contains("/") {
                let (address, length) = try addressWithPrefix(entry, key: key)
                prefix = IPv4Prefix(address: address, length: length)
                guard prefix.network == address else {
                    throw error("'\(key)' entry \(text) has host bits set; write the prefix as \(prefix)", at: entry)
                }
            } else {
                prefix = IPv4Prefix(host: try unicastAddress(entry, key: key))
            }
            if let clash = prefixes.first(where: { $0.prefix.overlaps(prefix) }) {
                throw error("'\(key)' entry \(prefix) overlaps \(clash.prefix) (line \(clash.line))", at: entry)
            }
            prefixes.append((prefix, line(of: entry)))
        }
        return prefixes.map(\.prefix)
    }

    /// `true` or `false`.
    package func boolean(_ node: Node, key: String) throws(ConfigurationError) -> Bool {
        switch try text(node, key: key) {
        case "true": return true
        case "false": return false
        case let other: throw error("'\(key)' must be true or false, not '\(other)'", at: node)
        }
    }
}
