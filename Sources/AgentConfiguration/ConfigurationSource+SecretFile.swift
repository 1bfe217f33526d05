import Yams

/// Files that hold a secret: a signaling `key-file`, the cluster's `key-file`, etcd's
/// client `key-file`.
extension ConfigurationSource {
    /// Refuses the secret file at `path` when users other than its owner and its group
    /// may read or write it: a key any local user can read signs for anyone, and one any
    /// user can write lets them choose it.
    ///
    /// The group's bits are left alone: root:glm with mode 0640 is a common way to let
    /// the members of one group read the keys without being root. A file that cannot be
    /// examined passes: reading it reports why.
    package func requirePrivate(_ path: String, named name: String, at node: Node) throws(ConfigurationError) {
        guard let mode = ConfigurationFile.permissions(path), mode & 0o007 != 0 else { return }
        let access: String = [(UInt32(0o004), "read"), (0o002, "written"), (0o001, "executed")]
            .filter { mode & $0.0 != 0 }.map(\.1).joined(separator: " and ")
        let octal = String(mode, radix: 8)
        let shown = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
        throw error("\(name) \(path) can be \(access) by any user (mode \(shown)); "
                    + "chmod 600 \(path) (or 640 to let its group read it)", at: node)
    }
}
