import Foundation

/// Key files written as an operator installs them (`install -m 0600`): the agents refuse
/// a key file other users may read or write. Test support only.
public enum SecretFile {
    /// Writes `text` to `path`, then gives it `mode` (0600 unless told otherwise).
    public static func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}
