import Foundation
import LabProcesses

/// The lab VM's boot files: a Debian cloud kernel and a busybox initramfs, built from
/// Debian's packages at run time and cached between runs.
///
/// ``prepare(cache:report:)`` downloads the versioned package behind
/// `linux-image-cloud-amd64` (`apt-get download`, ~27 MB, kept in `<cache>/debs`),
/// unpacks it with `dpkg-deb -x`, and packs `/bin/busybox` (busybox-static), the
/// virtio-net modules and ``GuestInit``'s `/init` into a gzip newc initramfs. The result
/// lives in `<cache>/guest-<key>`, where the key hashes the kernel package and version,
/// busybox's version and the init script: an image is rebuilt only when one of them
/// changes. Builds happen in a private folder renamed into place, so two processes
/// preparing at once both succeed and one image remains.
public struct GuestImage: Sendable, Hashable {
    /// The kernel, `boot/vmlinuz-*` of the package.
    public let kernel: String
    /// The gzip newc initramfs.
    public let initramfs: String
    /// The folder holding both, `<cache>/guest-<key>`.
    public let folder: String
    /// The versioned kernel package, for example `linux-image-6.1.0-56-cloud-amd64`.
    public let kernelPackage: String
    /// The kernel package's Debian version, for example `6.1.192-2`.
    public let kernelPackageVersion: String
    /// The cache key: the kernel package, busybox's version and the init script, hashed.
    public let key: String

    /// Where images are cached unless told otherwise.
    public static let defaultCache = "/var/cache/glm-lab"

    /// The cache folder: `GLM_LAB_CACHE` when set, else ``defaultCache``.
    public static var cacheFolder: String {
        let configured = ProcessInfo.processInfo.environment["GLM_LAB_CACHE"] ?? ""
        return configured.isEmpty ? defaultCache : configured
    }

    /// The line the guest prints on its console once `eth0` is configured.
    public static var readyMarker: String { GuestInit.readyMarker }

    /// The kernel command line for a VM with `address` (CIDR, `10.10.0.50/24`) and an
    /// optional default `gateway`: serial console, quiet, no IPv6.
    public static func kernelCommandLine(address: String, gateway: String?) -> String {
        var words = ["console=ttyS0", "quiet", "ipv6.disable=1", "glm.ip=\(address)"]
        if let gateway { words.append("glm.gw=\(gateway)") }
        return words.joined(separator: " ")
    }

    /// The cached image for the current kernel package, built first when missing.
    ///
    /// Needs `apt-get`, `dpkg-deb`, `cpio`, `gzip` and busybox-static; writing the
    /// default cache needs root. When apt cannot name a kernel (offline, no package
    /// lists), an image already built with the same init script is used instead.
    /// `report` hears what takes time (downloading, building).
    public static func prepare(cache: String? = nil,
                               report: @Sendable (String) -> Void = { _ in }) async throws -> GuestImage {
        let cache = cache ?? cacheFolder
        do {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        } catch {
            throw LabVMError(.guestImage, "cannot create the lab cache \(cache) (root, or set GLM_LAB_CACHE): \(error)")
        }
        removeAbandonedScratch(in: cache)
        let busyboxVersion = try await installedVersion(of: "busybox-static")
        let package: KernelPackage
        do {
            package = try await KernelPackage.resolve()
        } catch {
            if let cached = newestCachedImage(in: cache, busyboxVersion: busyboxVersion) {
                report("apt names no kernel (\(error)); using the cached \(cached.kernelPackage) \(cached.kernelPackageVersion)")
                return cached
            }
            throw error
        }
        let key = cacheKey(package: package, busyboxVersion: busyboxVersion)
        let folder = "\(cache)/guest-\(key)"
        if let image = GuestImage(folder: folder) { return image }

        report("fetching \(package.name) \(package.version)")
        let archive = try await package.debianArchive(in: "\(cache)/debs")
        report("building the guest initramfs in \(folder)")
        try await build(from: archive, package: package, busyboxVersion: busyboxVersion, key: key,
                        into: folder, scratchIn: cache)
        guard let image = GuestImage(folder: folder) else {
            throw LabVMError(.guestImage, "the guest image in \(folder) is incomplete after building it")
        }
        return image
    }

    // MARK: - The cache

    static func cacheKey(package: KernelPackage, busyboxVersion: String) -> String {
        var hash = StableHash()
        hash.combine("glm-lab-guest 1")
        hash.combine(package.name)
        hash.combine(package.version)
        hash.combine(busyboxVersion)
        hash.combine(GuestInit.modules.joined(separator: " "))
        hash.combine(GuestInit.script)
        return hash.hex
    }

    /// What `manifest.json` records; written last, so its presence means a whole image.
    private struct Manifest: Codable {
        var kernelPackage: String
        var kernelPackageVersion: String
        var busyboxVersion: String
        var initHash: String
        var key: String
        var built: Date
    }

    private static let manifestName = "manifest.json"
    private static let kernelName = "vmlinuz"
    private static let initramfsName = "initramfs.gz"

    private static var initHash: String {
        var hash = StableHash()
        hash.combine(GuestInit.modules.joined(separator: " "))
        hash.combine(GuestInit.script)
        return hash.hex
    }

    /// The image in `folder`, or nil when the folder holds no complete image.
    private init?(folder: String) {
        guard let manifest = Self.manifest(in: folder) else { return nil }
        let kernel = "\(folder)/\(Self.kernelName)"
        let initramfs = "\(folder)/\(Self.initramfsName)"
        guard FileManager.default.fileExists(atPath: kernel), FileManager.default.fileExists(atPath: initramfs) else {
            return nil
        }
        self.kernel = kernel
        self.initramfs = initramfs
        self.folder = folder
        kernelPackage = manifest.kernelPackage
        kernelPackageVersion = manifest.kernelPackageVersion
        key = manifest.key
    }

    private static func manifest(in folder: String) -> Manifest? {
        guard let data = FileManager.default.contents(atPath: "\(folder)/\(manifestName)") else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Manifest.self, from: data)
    }

    private static func newestCachedImage(in cache: String, busyboxVersion: String) -> GuestImage? {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: cache))?.filter { $0.hasPrefix("guest-") } ?? []
        let candidates = folders.compactMap { name -> (Manifest, GuestImage)? in
            let folder = "\(cache)/\(name)"
            guard let manifest = manifest(in: folder), manifest.initHash == initHash,
                  manifest.busyboxVersion == busyboxVersion, let image = GuestImage(folder: folder) else { return nil }
            return (manifest, image)
        }
        return candidates.max { $0.0.built < $1.0.built }?.1
    }

    /// Scratch folders of builds and downloads that died (older than an hour).
    private static func removeAbandonedScratch(in cache: String) {
        let fileManager = FileManager.default
        for folder in ["\(cache)", "\(cache)/debs"] {
            for name in (try? fileManager.contentsOfDirectory(atPath: folder)) ?? []
            where name.hasPrefix(".build-") || name.hasPrefix(".download-") {
                let path = "\(folder)/\(name)"
                let modified = (try? fileManager.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
                if modified.timeIntervalSinceNow < -3600 { try? fileManager.removeItem(atPath: path) }
            }
        }
    }

    // MARK: - Building

    private static func installedVersion(of package: String) async throws -> String {
        let dpkgQuery = try HostTool.locate("dpkg-query", package: "dpkg")
        let query = try await ProgramRun.run(dpkgQuery, ["-W", "-f=${Status}|${Version}", package])
        let fields = query.standardOutput.split(separator: "|", omittingEmptySubsequences: false)
        guard query.succeeded, fields.count == 2, fields[0].hasSuffix("installed"), !fields[1].isEmpty else {
            throw LabVMError(.missingTool, "\(package) is not installed: run scripts/install-deps.sh")
        }
        return String(fields[1])
    }

    private static func build(from archive: String, package: KernelPackage, busyboxVersion: String, key: String,
                              into folder: String, scratchIn cache: String) async throws {
        let fileManager = FileManager.default
        let dpkgDeb = try HostTool.locate("dpkg-deb", package: "dpkg")
        _ = try HostTool.locate("cpio", package: "cpio")
        _ = try HostTool.locate("gzip", package: "gzip")
        let busybox = "/bin/busybox"
        guard fileManager.isExecutableFile(atPath: busybox) else {
            throw LabVMError(.missingTool, "\(busybox) not found (Debian package busybox-static): run scripts/install-deps.sh")
        }

        let scratch = "\(cache)/.build-\(UUID().uuidString)"
        defer { try? fileManager.removeItem(atPath: scratch) }
        let unpacked = "\(scratch)/package"
        let root = "\(scratch)/root"
        let image = "\(scratch)/image"
        for directory in [unpacked, image] + ["bin", "modules", "proc", "sys", "dev", "tmp"].map({ "\(root)/\($0)" }) {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        let extract = try await ProgramRun.run(dpkgDeb, ["-x", archive, unpacked], timeout: .seconds(120))
        guard extract.succeeded else {
            // A damaged download would fail every later run too: drop it.
            try? fileManager.removeItem(atPath: archive)
            throw LabVMError(.guestImage, "dpkg-deb -x \(archive) failed: \(extract.standardError)")
        }
        let vmlinuz = try kernelFile(in: unpacked)
        let modules = try moduleFiles(in: unpacked)

        try fileManager.copyItem(atPath: busybox, toPath: "\(root)/bin/busybox")
        for module in GuestInit.modules {
            guard let source = modules[module] else {
                throw LabVMError(.guestImage, "\(package.name) has no module \(module) (.ko, .ko.xz, .ko.zst or .ko.gz)")
            }
            try await decompressModule(source, to: "\(root)/modules/\(module).ko")
        }
        guard fileManager.createFile(atPath: "\(root)/init", contents: Data(GuestInit.script.utf8),
                                     attributes: [.posixPermissions: 0o755]) else {
            throw LabVMError(.guestImage, "cannot write \(root)/init")
        }

        let initramfs = "\(image)/\(initramfsName)"
        let pack = try await ProgramRun.run(
            "/bin/sh", ["-c", "cd \"$1\" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 > \"$2\"", "sh", root, initramfs],
            timeout: .seconds(120))
        let packed = (try? fileManager.attributesOfItem(atPath: initramfs)[.size] as? Int) ?? 0
        guard pack.succeeded, packed > 0 else {
            throw LabVMError(.guestImage, "packing the initramfs failed: \(pack.standardError)")
        }
        try fileManager.copyItem(atPath: vmlinuz, toPath: "\(image)/\(kernelName)")

        let manifest = Manifest(kernelPackage: package.name, kernelPackageVersion: package.version,
                                busyboxVersion: busyboxVersion, initHash: initHash, key: key, built: Date())
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: "\(image)/\(manifestName)"))

        do {
            try fileManager.moveItem(atPath: image, toPath: folder)
        } catch where GuestImage(folder: folder) != nil {
            // Another process finished the same image first.
        } catch {
            // A damaged image (its manifest or a file deleted by hand) is replaced.
            try? fileManager.removeItem(atPath: folder)
            do {
                try fileManager.moveItem(atPath: image, toPath: folder)
            } catch where GuestImage(folder: folder) != nil {
            } catch {
                throw LabVMError(.guestImage, "cannot move the built image to \(folder): \(error)")
            }
        }
    }

    /// `boot/vmlinuz-*` of the unpacked package.
    private static func kernelFile(in unpacked: String) throws -> String {
        let boot = "\(unpacked)/boot"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: boot)) ?? []
        guard let name = names.filter({ $0.hasPrefix("vmlinuz-") }).sorted().last else {
            throw LabVMError(.guestImage, "no boot/vmlinuz-* in the kernel package")
        }
        return "\(boot)/\(name)"
    }

    /// Every kernel module under `lib/modules/<version>/` (or `usr/lib/modules`), by name
    /// without extension: `virtio_net` → `…/virtio_net.ko` or `…/virtio_net.ko.xz`.
    private static func moduleFiles(in unpacked: String) throws -> [String: String] {
        var found: [String: String] = [:]
        for base in ["\(unpacked)/lib/modules", "\(unpacked)/usr/lib/modules"] {
            guard let walker = FileManager.default.enumerator(atPath: base) else { continue }
            while let relative = walker.nextObject() as? String {
                let file = (relative as NSString).lastPathComponent
                guard let range = file.range(of: ".ko") else { continue }
                let suffix = file[range.lowerBound...]
                guard [".ko", ".ko.xz", ".ko.zst", ".ko.gz"].contains(String(suffix)) else { continue }
                let name = String(file[..<range.lowerBound])
                if found[name] == nil { found[name] = "\(base)/\(relative)" }
            }
        }
        guard !found.isEmpty else {
            throw LabVMError(.guestImage, "no kernel modules under lib/modules in the kernel package")
        }
        return found
    }

    /// Copies a module, decompressing `.ko.xz` (xz, or busybox's), `.ko.zst` and `.ko.gz`.
    private static func decompressModule(_ source: String, to destination: String) async throws {
        if source.hasSuffix(".ko") {
            try FileManager.default.copyItem(atPath: source, toPath: destination)
            return
        }
        let decompressor: [String]
        if source.hasSuffix(".xz") {
            decompressor = (try? HostTool.locate("xz")).map { [$0, "-dc"] } ?? ["/bin/busybox", "xzcat"]
        } else if source.hasSuffix(".zst") {
            decompressor = [try HostTool.locate("zstd", package: "zstd"), "-dcq"]
        } else {
            decompressor = [try HostTool.locate("gzip", package: "gzip"), "-dc"]
        }
        let run = try await ProgramRun.run(
            "/bin/sh", ["-c", "source=\"$1\" destination=\"$2\"; shift 2; \"$@\" < \"$source\" > \"$destination\"",
                        "sh", source, destination] + decompressor,
            timeout: .seconds(60))
        guard run.succeeded else {
            throw LabVMError(.guestImage, "decompressing \(source) failed: \(run.standardError)")
        }
    }
}
