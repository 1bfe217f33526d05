import GLMWire
import Yams

/// A peer's security association from its entry: `spi`, `algorithm`, and the key given
/// inline as `key` or in a file as `key-file`.
extension ConfigurationSource {
    /// `peer` names the entry in errors, as "site 'site-a'".
    package func association(of entry: ConfigurationSection, peer: String) throws(ConfigurationError) -> SecurityAssociation {
        let spiNode = try entry.required("spi")
        let spi = try integer(spiNode, key: "spi", in: 0...UInt32.max, hex: true)
        guard spi >= SecurityAssociation.smallestSPI else {
            throw error("'spi' \(spi) is reserved (RFC 4285 §5 reserves 0-255); use \(SecurityAssociation.smallestSPI) or more", at: spiNode)
        }
        var algorithm = AuthenticationAlgorithm.hmacSHA256_128
        if let node = entry.optional("algorithm") {
            let text = try text(node, key: "algorithm")
            guard let chosen = AuthenticationAlgorithm(rawValue: text) else {
                let names = AuthenticationAlgorithm.allCases.map(\.rawValue).joined(separator: " or ")
                throw error("'algorithm' must be \(names), not '\(text)'", at: node)
            }
            algorithm = chosen
        }
        let key = try key(of: entry, peer: peer)
        guard let association = SecurityAssociation(spi: spi, algorithm: algorithm, key: key) else {
            throw error("\(peer) has no usable security association", line: entry.line)
        }
        return association
    }

    /// The key, given inline as `key` or in a file as `key-file`; hex either way.
    package func key(of entry: ConfigurationSection, peer: String) throws(ConfigurationError) -> [UInt8] {
        let inline = entry.optional("key")
        let file = entry.optional("key-file")
        let key: [UInt8]
        let node: Node
        switch (inline, file) {
        case (let inline?, nil):
            node = inline
            let text = try text(inline, key: "key")
            guard let bytes = [UInt8](hexString: text) else {
                throw error("'key' must be hex, two digits an octet (such as the output of openssl rand -hex 32)", at: inline)
            }
            key = bytes
        case (nil, let file?):
            node = file
            let path = try filePath(file, key: "key-file")
            let text: String
            do {
                text = try ConfigurationFile.readText(path)
            } catch {
                throw self.error("cannot read key file \(path): \(error.reason)", at: file)
            }
            try requirePrivate(path, named: "key file", at: file)
            let trimmed = text.unicodeScalars.drop { $0.properties.isWhitespace }.reversed().drop { $0.properties.isWhitespace }
            guard let bytes = [UInt8](hexString: String(String.UnicodeScalarView(trimmed.reversed()))) else {
                throw error("key file \(path) must hold the key in hex, two digits an octet", at: file)
            }
            key = bytes
        case (_?, let file?):
            throw error("\(peer) gives both 'key' and 'key-file'; give one", at: file)
        case (nil, nil):
            throw error("\(peer) needs a 'key' or a 'key-file'", line: entry.line)
        }
        guard key.count >= SecurityAssociation.minimumKeyLength else {
            throw error("\(peer) key is \(key.count) octets; at least \(SecurityAssociation.minimumKeyLength) (128 bits) are required", at: node)
        }
        return key
    }
}
