import Foundation
import LabProcesses

/// The guest's kernel: the versioned Debian package that `linux-image-cloud-amd64`
/// depends on, fetched with `apt-get download` (never installed on the host).
struct KernelPackage: Sendable, Hashable {
    /// The meta-package that names the current cloud kernel.
    static let metaPackage = "linux-image-cloud-amd64"

    /// For example `linux-image-6.1.0-56-cloud-amd64`.
    let name: String
    /// The candidate version, for example `6.1.192-2`.
    let version: String

    /// The package and version apt would download now. When apt knows no such package
    /// (a machine whose package lists were never fetched), runs `apt-get update` once as
    /// root and asks again.
    static func resolve() async throws -> KernelPackage {
        do {
            return try await resolveOnce()
        } catch {
            guard geteuid() == 0, let aptGet = try? HostTool.locate("apt-get") else { throw error }
            let update = try await ProgramRun.run(aptGet, ["update", "-qq"], timeout: .seconds(180))
            guard update.succeeded else { throw error }
            return try await resolveOnce()
        }
    }

    private static func resolveOnce() async throws -> KernelPackage {
        let aptCache = try HostTool.locate("apt-cache", package: "apt")
        let depends = try await ProgramRun.run(aptCache, ["depends", metaPackage], timeout: .seconds(60))
        guard depends.succeeded, let name = versionedName(fromDepends: depends.standardOutput) else {
            throw LabVMError(.guestImage, "apt-cache depends \(metaPackage) names no kernel package "
                + "(are the package lists fetched? apt-get update): \(depends.standardError)")
        }
        let policy = try await ProgramRun.run(aptCache, ["policy", name], timeout: .seconds(60))
        guard policy.succeeded, let version = candidate(fromPolicy: policy.standardOutput) else {
            throw LabVMError(.guestImage, "apt-cache policy \(name) shows no candidate version: \(policy.standardError)")
        }
        return KernelPackage(name: name, version: version)
    }

    /// The first `Depends: linux-image-…` line of `apt-cache depends`.
    static func versionedName(fromDepends output: String) -> String? {
        for line in output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "|"))
            guard trimmed.hasPrefix("Depends:") else { continue }
            let name = trimmed.dropFirst("Depends:".count).trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("linux-image-") { return name }
        }
        return nil
    }

    /// The `Candidate:` of `apt-cache policy`, unless it is `(none)`.
    static func candidate(fromPolicy output: String) -> String? {
        for line in output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("Candidate:") else { continue }
            let version = trimmed.dropFirst("Candidate:".count).trimmingCharacters(in: .whitespaces)
            return version.isEmpty || version == "(none)" ? nil : version
        }
        return nil
    }

    /// The package's .deb in `folder`, downloaded when it is not there yet. Downloads go
    /// to a private folder first and are renamed into place, so concurrent callers never
    /// see half a file.
    func debianArchive(in folder: String) async throws -> String {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let archive = "\(folder)/\(name)_\(version.replacingOccurrences(of: ":", with: "%3a")).deb"
        if fileManager.fileExists(atPath: archive) { return archive }

        let aptGet = try HostTool.locate("apt-get", package: "apt")
        let download = "\(folder)/.download-\(UUID().uuidString)"
        try fileManager.createDirectory(atPath: download, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(atPath: download) }
        // apt drops privileges to `_apt` for downloads when it can; a folder it may write
        // to spares the "download is performed unsandboxed" warning.
        try? fileManager.setAttributes([.posixPermissions: 0o777], ofItemAtPath: download)
        let run = try await ProgramRun.runIn(download, aptGet, ["download", "-q", "\(name)=\(version)"],
                                             timeout: .seconds(300))
        let fetched = (try? fileManager.contentsOfDirectory(atPath: download))?.filter { $0.hasSuffix(".deb") } ?? []
        guard run.succeeded, let file = fetched.first else {
            throw LabVMError(.guestImage, "apt-get download \(name)=\(version) failed: \(run.standardError)")
        }
        do {
            try fileManager.moveItem(atPath: "\(download)/\(file)", toPath: archive)
        } catch where fileManager.fileExists(atPath: archive) {
            // Another process downloaded it first; theirs is as good as ours.
        }
        return archive
    }
}

extension ProgramRun {
    /// Runs the program with `folder` as its working directory (through `sh -c 'cd …'`,
    /// since `ProgramRun` runs in the caller's).
    static func runIn(_ folder: String, _ executable: String, _ arguments: [String],
                      timeout: Duration) async throws -> ProgramRun {
        try await run("/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", folder, executable] + arguments,
                      timeout: timeout)
    }
}
