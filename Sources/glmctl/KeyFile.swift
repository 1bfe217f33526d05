import Foundation
import GLMWire

/// The security associations `glmctl decode --keys` verifies with: one per line,
/// `SPI ALGORITHM HEX-KEY`, `#` to the end of a line is a comment.
///
/// The SPI is decimal or `0x`-prefixed hex; the algorithm is `hmac-sha256-128` or
/// `hmac-sha1-96`; the key is hex, at least 16 octets.
struct KeyFile {
    struct ParseError: Error, CustomStringConvertible {
        let path: String
        let line: Int
        let reason: String
        var description: String { "\(path):\(line): \(reason)" }
    }

    let associations: SecurityAssociations

    init(contentsOf path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ParseError(path: path, line: 0, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(parsing: text, path: path)
    }

    init(parsing text: String, path: String) throws {
        var associations = SecurityAssociations()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 3 else {
                throw ParseError(path: path, line: line, reason: "expected `SPI ALGORITHM HEX-KEY`, found \(fields.count) fields")
            }
            let spiText = fields[0]
            let spi: UInt32? = spiText.hasPrefix("0x") ? UInt32(spiText.dropFirst(2), radix: 16) : UInt32(spiText)
            guard let spi else {
                throw ParseError(path: path, line: line, reason: "SPI `\(spiText)` is not a 32-bit number")
            }
            guard let algorithm = AuthenticationAlgorithm(rawValue: String(fields[1])) else {
                let known = AuthenticationAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                throw ParseError(path: path, line: line, reason: "unknown algorithm `\(fields[1])` (known: \(known))")
            }
            guard let key = [UInt8](hexString: fields[2]) else {
                throw ParseError(path: path, line: line, reason: "key is not an even number of hex digits")
            }
            guard let association = SecurityAssociation(spi: spi, algorithm: algorithm, key: key) else {
                throw ParseError(path: path, line: line, reason: "key of \(key.count) octets is shorter than \(SecurityAssociation.minimumKeyLength)")
            }
            guard associations[spi] == nil else {
                throw ParseError(path: path, line: line, reason: "SPI \(spi) is defined twice")
            }
            associations.insert(association)
        }
        self.associations = associations
    }
}
