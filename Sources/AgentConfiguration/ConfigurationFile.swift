#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading the configuration and key files, with the operating system's own reason
/// when that fails.
package enum ConfigurationFile {
    package struct ReadError: Error {
        package var reason: String
    }

    /// Configuration and key files are small; anything larger is a mistake.
    package static let maximumSize = 64 << 20

    /// The file's bytes as UTF-8 text.
    package static func readText(_ path: String) throws(ReadError) -> String {
        let bytes = try readBytes(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ReadError(reason: "not UTF-8 text")
        }
        return text
    }

    package static func readBytes(_ path: String) throws(ReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReadError(reason: lastError()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ReadError(reason: lastError()) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw ReadError(reason: "not a regular file") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(reason: lastError())
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= maximumSize else { throw ReadError(reason: "larger than \(maximumSize >> 20) MiB") }
        }
        return bytes
    }

    /// The permission bits of the file at `path` (of the file a link leads to), or nil
    /// when it cannot be examined.
    package static func permissions(_ path: String) -> UInt32? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return UInt32(status.st_mode) & 0o7777
    }

    /// The configuration file at `path` as text; refused as a whole-file error.
    package static func configurationText(_ path: String) throws(ConfigurationError) -> String {
        do {
            return try readText(path)
        } catch {
            throw ConfigurationError(path: path, line: 0, reason: "cannot read the file: \(error.reason)")
        }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
