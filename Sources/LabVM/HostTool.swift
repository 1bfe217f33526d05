import Foundation

/// The host programs the lab's VM needs, found on PATH or in the sbin folders.
public enum HostTool {
    /// The path of `name`, or a ``LabVMError/Code/missingTool`` error naming the package
    /// that provides it and the script that installs it.
    public static func locate(_ name: String, package: String? = nil) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        if let found = folders.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return found
        }
        let from = package.map { " (Debian package \($0))" } ?? ""
        throw LabVMError(.missingTool, "\(name) not found\(from): run scripts/install-deps.sh")
    }

    static func qemu() throws -> String { try locate("qemu-system-x86_64", package: "qemu-system-x86") }
    static func ip() throws -> String { try locate("ip", package: "iproute2") }
}
