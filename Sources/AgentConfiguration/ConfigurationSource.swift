import GLMWire
import Yams

/// The configuration file being loaded: it names the file in errors, anchors the
/// file's relative paths, and turns YAML scalars into checked values, each refusal
/// carrying the line of the value at fault.
///
/// Scalars are read as the text written, never through YAML's implicit typing, so a
/// MAC such as `52:54:00:12:34:56` is not taken for a base-60 number, nor a hex key
/// of digits for an integer.
package struct ConfigurationSource {
    package let path: String
    /// The file's directory, which relative paths inside it start from.
    package let directory: String

    package init(path: String) {
        self.path = path
        if let slash = path.lastIndex(of: "/") {
            let directory = String(path[..<slash])
            self.directory = directory.isEmpty ? "/" : directory
        } else {
            self.directory = "."
        }
    }

    // MARK: Errors

    package func error(_ reason: String, line: Int) -> ConfigurationError {
        ConfigurationError(path: path, line: line, reason: reason)
    }

    package func error(_ reason: String, at node: Node) -> ConfigurationError {
        error(reason, line: line(of: node))
    }

    package func line(of node: Node) -> Int {
        node.mark?.line ?? 0
    }

    /// How a node is named when it has the wrong shape.
    package func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: isNull(node) ? "an empty value" : "'\(node.scalar?.string ?? "")'"
        }
    }

    private func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    // MARK: Shapes

    /// The scalar's text; refused for a mapping, a list or an empty value.
    package func text(_ node: Node, key: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error("'\(key)' must be a single value, not \(kind(of: node))", at: node)
        }
        guard !isNull(node) else { throw error("'\(key)' has no value", at: node) }
        return scalar.string
    }

    package func list(_ node: Node, key: String) throws(ConfigurationError) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw error("'\(key)' must be a list, not \(kind(of: node))", at: node)
        }
        return Array(sequence)
    }

    // MARK: Numbers

    /// A whole number written in decimal (or in hex after `0x` when `hex` is set), in `range`.
    package func integer<T: FixedWidthInteger>(_ node: Node, key: String, in range: ClosedRange<T>, unit: String? = nil,
                                       hex: Bool = false) throws(ConfigurationError) -> T {
        let text = try text(node, key: key)
        let unitText = unit.map { " " + $0 } ?? ""
        var digits = Substring(text)
        var radix = 10
        if hex, digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            digits = digits.dropFirst(2)
            radix = 16
        }
        let valid = !digits.isEmpty && digits.unicodeScalars.allSatisfy {
            radix == 16 ? $0.properties.isASCIIHexDigit : ("0"..."9").contains($0)
        }
        guard valid else {
            throw error("'\(key)' must be a whole number\(unitText.isEmpty ? "" : " of" + unitText), not '\(text)'", at: node)
        }
        guard let value = T(digits, radix: radix), range.contains(value) else {
            throw error("'\(key)' must be from \(range.lowerBound) to \(range.upperBound)\(unitText), not \(text)", at: node)
        }
        return value
    }

    package func port(_ node: Node, key: String) throws(ConfigurationError) -> UInt16 {
        try integer(node, key: key, in: 1...UInt16.max)
    }

    /// The port `node` gives, or `defaultPort` when it is absent.
    package func port(_ node: Node?, key: String, default defaultPort: UInt16) throws(ConfigurationError) -> UInt16 {
        guard let node else { return defaultPort }
        return try port(node, key: key)
    }

    // MARK: Addresses

    /// A unicast IPv4 address in dotted-quad form.
    package func unicastAddress(_ node: Node, key: String) throws(ConfigurationError) -> IPv4Address {
        let text = try text(node, key: key)
        guard let address = IPv4Address(text) else {
            throw error("'\(key)' must be an IPv4 address such as 192.0.2.1, not '\(text)'", at: node)
        }
        if let problem = Self.notUnicast(address) {
            throw error("'\(key)' \(address) is \(problem)", at: node)
        }
        return address
    }

    /// Why an address cannot name one host, or nil when it can.
    package static func notUnicast(_ address: IPv4Address) -> String? {
        if address == .any { return "the unspecified address" }
        if address.rawValue == .max { return "the broadcast address" }
        if address.rawValue >> 28 == 0xe { return "a multicast address" }
        if address.rawValue >> 28 == 0xf { return "a reserved (class E) address" }
        return nil
    }

    /// An address with its prefix length, as `10.10.0.50/24`.
    package func addressWithPrefix(_ node: Node, key: String) throws(ConfigurationError) -> (IPv4Address, UInt8) {
        let text = try text(node, key: key)
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw error("'\(key)' must be an address with its prefix length, such as 10.10.0.50/24, not '\(text)'", at: node)
        }
        guard let address = IPv4Address(parts[0]) else {
            throw error("'\(key)' must start with an IPv4 address, not '\(parts[0])'", at: node)
        }
        guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let length = UInt8(parts[1]), (1...32).contains(length) else {
            throw error("'\(key)' prefix length must be from 1 to 32, not '\(parts[1])'", at: node)
        }
        if let problem = Self.notUnicast(address) {
            throw error("'\(key)' \(address) is \(problem)", at: node)
        }
        return (address, length)
    }

    /// A unicast EUI-48 address: a VM's MAC is never a group address.
    package func mac(_ node: Node, key: String) throws(ConfigurationError) -> MACAddress {
        let text = try text(node, key: key)
        guard let mac = MACAddress(text) else {
            throw error("'\(key)' must be a MAC address such as 52:54:00:12:34:56, not '\(text)'", at: node)
        }
        guard mac != .zero else { throw error("'\(key)' 00:00:00:00:00:00 is not a VM's MAC", at: node) }
        guard !mac.isMulticast else {
            throw error("'\(key)' \(mac) is a multicast address (the low bit of the first octet is set)", at: node)
        }
        return mac
    }

    // MARK: Names and paths

    /// A network interface name as Linux accepts it: 1 to 15 octets, no `/`, `:` or space.
    package func interfaceName(_ node: Node, key: String) throws(ConfigurationError) -> String {
        let name = try text(node, key: key)
        guard (1...15).contains(name.utf8.count), name != ".", name != "..",
              name.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isWhitespace == false && $0 != "/" && $0 != ":" && $0.value > 0x20 }) else {
            throw error("'\(key)' must be an interface name of 1 to 15 characters without '/', ':' or spaces, not '\(name)'", at: node)
        }
        return name
    }

    /// A file path; relative paths are taken from the configuration file's directory.
    package func filePath(_ node: Node, key: String) throws(ConfigurationError) -> String {
        let text = try text(node, key: key)
        guard !text.isEmpty, !text.utf8.contains(0) else { throw error("'\(key)' must be a file path", at: node) }
        return resolve(text)
    }

    package func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (directory == "." ? path : directory + "/" + path)
    }
}
