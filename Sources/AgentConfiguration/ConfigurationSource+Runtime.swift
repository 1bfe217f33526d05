import Logging
import Yams

/// The keys every agent's daemon has: its control socket, metrics endpoint, log level,
/// and the names it gives its peers.
extension ConfigurationSource {
    /// `sun_path` holds 108 octets with the terminating NUL.
    package static let maximumSocketPathLength = 107

    /// 576 octets is the least every IPv4 host must accept (RFC 791); 9000 a jumbo frame.
    package static let tunnelMTURange = 576...9000

    package func controlSocketPath(_ node: Node) throws(ConfigurationError) -> String {
        let path = try filePath(node, key: "control-socket")
        guard path.utf8.count <= Self.maximumSocketPathLength else {
            throw error("'control-socket' path is \(path.utf8.count) octets; a Unix socket path holds at most \(Self.maximumSocketPathLength)", at: node)
        }
        return path
    }

    /// `host:port`, `[v6-address]:port`, or `off` (nil).
    package func metricsEndpoint(_ node: Node, example: String) throws(ConfigurationError) -> MetricsEndpoint? {
        let text = try text(node, key: "metrics")
        if text == "off" { return nil }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            throw error("'metrics' must be host:port (such as \(example)) or off, not '\(text)'", at: node)
        }
        let hostValid = !host.isEmpty && host.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || ".-:".unicodeScalars.contains($0))
        }
        guard hostValid else {
            throw error("'metrics' host must be an address or a host name, not '\(host)'", at: node)
        }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText), port > 0 else {
            throw error("'metrics' port must be from 1 to 65535, not '\(portText)'", at: node)
        }
        return MetricsEndpoint(host: String(host), port: port)
    }

    package func logLevel(_ node: Node) throws(ConfigurationError) -> Logger.Level {
        let text = try text(node, key: "log-level")
        guard let level = Logger.Level(rawValue: text) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("'log-level' must be one of \(levels), not '\(text)'", at: node)
        }
        return level
    }

    package func logFormat(_ node: Node) throws(ConfigurationError) -> LogFormat {
        let text = try text(node, key: "log-format")
        guard let format = LogFormat(rawValue: text) else {
            let formats = LogFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("'log-format' must be one of \(formats), not '\(text)'", at: node)
        }
        return format
    }

    /// Characters of a peer's name (a site, a home agent): it appears in logs, metric
    /// labels and other entries.
    package static func isValidPeerName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "._-".unicodeScalars.contains($0))
        }
    }
}
