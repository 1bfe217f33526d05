import Foundation
import LabSupport
import LabVM
import Synchronization

/// Two hypervisor hosts for a migration test, each a namespace with a bridge `br0`
/// (10.10.0.1/24, the VM's gateway at both sites) and a TAP `vmtap` as its port:
///
/// ```
///  [source] br0 10.10.0.1/24 ── vmtap ── QEMU (boots the VM, 10.10.0.50/24)
///  [destination] br0 10.10.0.1/24 ── vmtap ── QEMU (-incoming unix:…/mig.sock)
/// ```
///
/// The sites share no link: after the migration only the destination's bridge can
/// reach the VM, so a ping from there proves where it runs. Built and removed with
/// async process runs; ``remove()`` kills the tracked QEMUs by PID, the capture, and
/// deletes the namespaces and the folder.
final class TwoSiteLab: Sendable {
    let ip: String
    let source: String
    let destination: String
    /// A short folder for sockets and captures (unix socket paths are short).
    let folder: String
    static let tap = "vmtap"
    static let gateway = "10.10.0.1"
    static let vmAddress = "10.10.0.50"
    static let vmMAC = "52:54:00:12:34:56"

    private let machines = Mutex<[VirtualMachine]>([])
    private let children = Mutex<[ChildProcess]>([])
    private static let counter = Mutex(0)

    private init(ip: String) {
        self.ip = ip
        let run = Self.counter.withLock { value in
            value += 1
            return value
        }
        let suffix = "\(getpid())-\(run)"
        source = "glm-vma-\(suffix)"
        destination = "glm-vmb-\(suffix)"
        folder = "/tmp/glm-vm-\(suffix)"
    }

    static func create(ip: String) async throws -> TwoSiteLab {
        let lab = TwoSiteLab(ip: ip)
        do {
            try FileManager.default.createDirectory(atPath: lab.folder, withIntermediateDirectories: true)
            for namespace in [lab.source, lab.destination] {
                try await lab.build(namespace)
            }
        } catch {
            await lab.remove()
            throw error
        }
        return lab
    }

    private func build(_ namespace: String) async throws {
        try await command(["netns", "add", namespace])
        // No IPv6 chatter in captures.
        try await command(["netns", "exec", namespace, "sh", "-c",
                           "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"])
        try await command(["-n", namespace, "link", "set", "lo", "up"])
        try await command(["-n", namespace, "link", "add", "br0", "type", "bridge"])
        try await command(["-n", namespace, "tuntap", "add", "dev", Self.tap, "mode", "tap"])
        try await command(["-n", namespace, "link", "set", Self.tap, "master", "br0"])
        try await command(["-n", namespace, "address", "add", "\(Self.gateway)/24", "dev", "br0"])
        try await command(["-n", namespace, "link", "set", "br0", "up"])
        try await command(["-n", namespace, "link", "set", Self.tap, "up"])
    }

    /// `ip ARGUMENTS`, failing with iproute2's message.
    func command(_ arguments: [String]) async throws {
        let run = try await ProgramRun.run(ip, arguments, timeout: .seconds(10))
        guard run.succeeded else {
            throw DataPlaneLab.LabError("ip \(arguments.joined(separator: " ")): \(run.standardError)")
        }
    }

    /// The VM's configuration at `namespace`: same MAC and addressing at both sites.
    func configuration(_ name: String, in namespace: String) -> VirtualMachine.Configuration {
        VirtualMachine.Configuration(name: name, namespace: namespace, tap: Self.tap, mac: Self.vmMAC,
                                     address: "\(Self.vmAddress)/24", gateway: Self.gateway, folder: folder)
    }

    /// Starts a VM and tracks it for ``remove()``.
    func start(_ configuration: VirtualMachine.Configuration, image: GuestImage,
               incoming: String? = nil) async throws -> VirtualMachine {
        let vm = try await VirtualMachine.start(configuration, image: image, incoming: incoming)
        machines.withLock { $0.append(vm) }
        return vm
    }

    /// Starts a program in `namespace` and tracks it for ``remove()``.
    func spawn(_ namespace: String, _ arguments: [String]) throws -> ChildProcess {
        let child = ChildProcess(ip, ["netns", "exec", namespace] + arguments)
        try child.start()
        children.withLock { $0.append(child) }
        return child
    }

    /// Whether one ping from `namespace` to the VM is answered within a second.
    func pingVM(from namespace: String, ping: String) async -> Bool {
        let run = try? await ProgramRun.run(ip, ["netns", "exec", namespace, ping, "-c", "1", "-W", "1", Self.vmAddress],
                                            timeout: .seconds(5))
        return run?.succeeded ?? false
    }

    func remove() async {
        for vm in machines.withLock({ $0 }) {
            await vm.stop(grace: .seconds(1))
        }
        for child in children.withLock({ $0 }) {
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(5))
        }
        for namespace in [source, destination] {
            _ = try? await ProgramRun.run(ip, ["netns", "delete", namespace], timeout: .seconds(10))
        }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
