import Foundation
import LabSupport
import LabVM
import Testing

/// What the VM tests need on the host, found or recorded as missing: a skip with the
/// reason locally, a failure under CI=true (CI installs them with
/// scripts/install-deps.sh).
struct VMTestTools {
    let ip: String
    let ping: String
    let tcpdump: String

    /// Whether the guest image can be built here: root (the cache folder), apt,
    /// dpkg-deb, cpio, gzip and busybox-static. Records why not.
    static func imageCanBeBuilt(for what: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard TestEnvironment.require(TestEnvironment.isRoot,
                                      "\(what) need root (the lab cache \(GuestImage.cacheFolder))",
                                      sourceLocation: sourceLocation) else { return false }
        for (tool, package) in [("apt-get", "apt"), ("dpkg-deb", "dpkg"), ("cpio", "cpio"), ("gzip", "gzip")] {
            guard TestEnvironment.require(TestEnvironment.tool(tool) != nil,
                                          "\(tool) not found (Debian package \(package)): run scripts/install-deps.sh",
                                          sourceLocation: sourceLocation)
            else { return false }
        }
        return TestEnvironment.require(FileManager.default.isExecutableFile(atPath: "/bin/busybox"),
                                       "/bin/busybox not found (busybox-static): run scripts/install-deps.sh",
                                       sourceLocation: sourceLocation)
    }

    /// The tools for tests that run QEMU in namespaces, or nil after recording why not.
    static func forVM(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) -> VMTestTools? {
        guard TestEnvironment.require(TestEnvironment.isRoot, "\(what) need root (namespaces, TAP devices, the lab cache)",
                                      sourceLocation: sourceLocation),
              imageCanBeBuilt(for: what, sourceLocation: sourceLocation) else { return nil }
        var found: [String: String] = [:]
        for (tool, package) in [("qemu-system-x86_64", "qemu-system-x86"), ("ip", "iproute2"),
                                ("ping", "iputils-ping"), ("tcpdump", "tcpdump")] {
            guard let path = TestEnvironment.tool(tool) else {
                _ = TestEnvironment.require(false, "\(tool) not found (Debian package \(package)): "
                                                + "run scripts/install-deps.sh", sourceLocation: sourceLocation)
                return nil
            }
            found[tool] = path
        }
        return VMTestTools(ip: found["ip"]!, ping: found["ping"]!, tcpdump: found["tcpdump"]!)
    }
}
