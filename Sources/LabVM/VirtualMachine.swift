import Foundation
import LabProcesses
import Synchronization

/// The lab's VM: one QEMU process (TCG, 128 MB, one vCPU, a virtio-net NIC on a TAP)
/// running inside a network namespace, with its QMP monitor and serial console on unix
/// sockets in ``Configuration/folder``.
///
/// QEMU runs as a child of this process with a pidfile; the VM is stopped or killed by
/// its PID, never by name, and dies with this object at the latest. The QMP client is
/// connected as soon as QEMU starts, so ``qmp`` holds every event of the VM's life.
/// A destination of a migration is started with `incoming`: it waits, paused, for the
/// migration stream on that unix socket (sockets cross namespaces, the filesystem is
/// shared).
public final class VirtualMachine: Sendable {
    /// What a VM is: its name and place, its NIC and the guest's addressing.
    public struct Configuration: Sendable, Hashable {
        /// A short name, for file names and messages.
        public var name: String
        /// The network namespace QEMU runs in (`ip netns exec`).
        public var namespace: String
        /// The TAP device QEMU opens in that namespace. The caller creates it
        /// (`ip tuntap add dev TAP mode tap`, a port of the site's bridge) beforehand;
        /// ``VirtualMachine/start(_:image:incoming:)`` refuses a missing one.
        public var tap: String
        /// The NIC's MAC; it must stay the same across a migration.
        public var mac: String
        /// The guest's `eth0` address with prefix length, `10.10.0.50/24`.
        public var address: String
        /// The guest's default gateway, or nil for none.
        public var gateway: String?
        /// A folder for the VM's sockets, pidfile and logs; created when missing. Keep it
        /// short: unix socket paths are limited to 107 bytes.
        public var folder: String
        /// Guest memory in MiB.
        public var memoryMiB: Int = 128

        public init(name: String, namespace: String, tap: String, mac: String, address: String,
                    gateway: String?, folder: String, memoryMiB: Int = 128) {
            self.name = name
            self.namespace = namespace
            self.tap = tap
            self.mac = mac
            self.address = address
            self.gateway = gateway
            self.folder = folder
            self.memoryMiB = memoryMiB
        }
    }

    public let configuration: Configuration
    public let image: GuestImage
    /// QEMU's PID (also in ``pidFile``).
    public let pid: Int32
    private let process: ChildProcess
    /// The QMP connection, made when QEMU started.
    public let qmp: QMPClient
    /// The unix socket this VM waits on for an incoming migration, or nil for a VM that
    /// booted the guest.
    public let incoming: String?
    /// When QEMU was started (wall clock).
    public let started: Date

    public var qmpSocket: String { Self.file(configuration, "qmp.sock") }
    public var consoleSocket: String { Self.file(configuration, "console.sock") }
    /// Everything the guest printed on its serial console, from QEMU's chardev log.
    public var consoleLog: String { Self.file(configuration, "console.log") }
    public var pidFile: String { Self.file(configuration, "qemu.pid") }

    private let console = Mutex<GuestConsole?>(nil)

    private init(configuration: Configuration, image: GuestImage, pid: Int32, process: ChildProcess,
                 qmp: QMPClient, incoming: String?, started: Date) {
        self.configuration = configuration
        self.image = image
        self.pid = pid
        self.process = process
        self.qmp = qmp
        self.incoming = incoming
        self.started = started
    }

    private static func file(_ configuration: Configuration, _ name: String) -> String {
        "\(configuration.folder)/\(configuration.name).\(name)"
    }

    /// Starts QEMU in the configuration's namespace and connects QMP.
    ///
    /// With `incoming` (a unix socket path), QEMU waits for a migration there instead of
    /// booting (run state `inmigrate`; its guest is the migrated one, so it never prints
    /// the ready line). Without it, the guest boots; ``waitUntilBooted(timeout:)`` waits
    /// for it. Fails with QEMU's (or iproute2's) message when QEMU cannot start.
    public static func start(_ configuration: Configuration, image: GuestImage,
                             incoming: String? = nil) async throws -> VirtualMachine {
        let qemu = try HostTool.qemu()
        let ip = try HostTool.ip()
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: configuration.folder, withIntermediateDirectories: true)
        let files = ["qmp.sock", "console.sock", "console.log", "qemu.pid"].map { file(configuration, $0) }
        for path in files + (incoming.map { [$0] } ?? []) {
            try? fileManager.removeItem(atPath: path)
        }
        for socket in [files[0], files[1]] + (incoming.map { [$0] } ?? []) where socket.utf8.count > 107 {
            throw LabVMError(.startFailed, "socket path \(socket) is too long for a unix socket (107 bytes): use a shorter folder")
        }

        // QEMU would create a missing TAP itself, unbridged: the VM would boot and reach
        // nothing. Refuse instead.
        let tap = try await ProgramRun.run(ip, ["-n", configuration.namespace, "link", "show", "dev", configuration.tap],
                                           timeout: .seconds(10))
        let refusal = tap.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        if !tap.succeeded, refusal.contains("network namespace") {
            throw LabVMError(.startFailed, "cannot enter namespace \(configuration.namespace): \(refusal)")
        }
        guard tap.succeeded else {
            throw LabVMError(.startFailed, "no TAP \(configuration.tap) in namespace \(configuration.namespace) (create it "
                + "as a port of the site's bridge first): \(refusal)")
        }

        var arguments = [
            "netns", "exec", configuration.namespace, qemu,
            "-name", configuration.name,
            "-accel", "tcg", "-machine", "pc", "-m", "\(configuration.memoryMiB)", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-kernel", image.kernel, "-initrd", image.initramfs,
            "-append", GuestImage.kernelCommandLine(address: configuration.address, gateway: configuration.gateway),
            "-netdev", "tap,id=n0,ifname=\(configuration.tap),script=no,downscript=no",
            "-device", "virtio-net-pci,netdev=n0,mac=\(configuration.mac)",
            "-chardev", "socket,id=console,path=\(files[1]),server=on,wait=off,logfile=\(files[2])",
            "-serial", "chardev:console",
            "-qmp", "unix:\(files[0]),server=on,wait=off",
            "-pidfile", files[3],
        ]
        if let incoming { arguments += ["-incoming", "unix:\(incoming)"] }

        // QEMU runs as this process's child (`ip netns exec` execs it), not daemonized:
        // Foundation's Process would not see a daemonizing parent exit while the daemon
        // keeps its inherited descriptors. The pidfile still names it for other processes.
        let started = Date()
        let process = ChildProcess(ip, arguments)
        try process.start()
        let failed = { (why: String) -> LabVMError in
            let stderr = process.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            return LabVMError(.startFailed, "qemu-system-x86_64 in namespace \(configuration.namespace) "
                + "(tap \(configuration.tap)) \(why)\(stderr.isEmpty ? "" : ": \(stderr)")")
        }
        let listening = await waitUntil(timeout: .seconds(30)) {
            let exited = await process.waitForExit(timeout: .zero)
            return exited || [files[0], files[1], files[3]].allSatisfy { fileManager.fileExists(atPath: $0) }
        }
        guard listening, await !process.waitForExit(timeout: .zero) else {
            process.kill()
            throw failed(process.status == -1 ? "created no sockets within 30 s" : "exited with status \(process.status)")
        }
        let pid = process.pid
        do {
            let qmp = try await QMPClient.connect(path: files[0])
            return VirtualMachine(configuration: configuration, image: image, pid: pid, process: process, qmp: qmp,
                                  incoming: incoming, started: started)
        } catch {
            let exited = await process.waitForExit(timeout: .milliseconds(500))
            process.kill()
            throw exited ? failed("exited with status \(process.status)") : error
        }
    }

    // MARK: - The guest

    /// Waits until the guest's init has configured `eth0` (its ready line on the console
    /// log) and returns the time since QEMU was started. Fails early when the init
    /// reports an error or QEMU exits.
    @discardableResult
    public func waitUntilBooted(timeout: Duration = .seconds(60)) async throws -> Duration {
        var log = ""
        let ready = await waitUntil(timeout: timeout) {
            log = (try? String(contentsOfFile: consoleLog, encoding: .utf8)) ?? ""
            return log.contains(GuestInit.readyMarker) || !isRunning
        }
        if let errorLine = log.split(separator: "\n").first(where: { $0.contains(GuestInit.errorMarker) }) {
            throw LabVMError(.startFailed, "the guest's init failed in \(configuration.name): \(errorLine)")
        }
        guard ready, log.contains(GuestInit.readyMarker) else {
            let why = isRunning ? "no ready line within \(timeout)" : "QEMU exited"
            throw LabVMError(.timeout, "the guest in \(configuration.name) did not boot: \(why); console: \(log.suffix(600))")
        }
        let elapsed = Date().timeIntervalSince(started)
        return .milliseconds(Int64((elapsed * 1000).rounded()))
    }

    /// The guest's serial console, connected on first use and kept (QEMU allows one
    /// console client at a time).
    public func console(timeout: Duration = .seconds(10)) async throws -> GuestConsole {
        if let console = console.withLock({ $0 }) { return console }
        let connected = try await GuestConsole.connect(path: consoleSocket, timeout: timeout)
        let kept = console.withLock { current -> GuestConsole in
            if let current { return current }
            current = connected
            return connected
        }
        if kept !== connected { connected.close() }
        return kept
    }

    /// QEMU's run state from `query-status` (`running`, `inmigrate`, `postmigrate`, …).
    public func runState() async throws -> String {
        try await qmp.execute("query-status")["status"]?.string ?? "unknown"
    }

    // MARK: - Stopping

    /// True while this QEMU's process exists.
    public var isRunning: Bool { Self.isAlive(pid, pidFile: pidFile) }

    /// Stops QEMU: SIGTERM, then SIGKILL after `grace`; returns once the process is gone.
    /// Safe to call more than once and after QEMU exited by itself.
    public func stop(grace: Duration = .seconds(3)) async {
        closeConnections()
        if isRunning { process.signal(SIGTERM) }
        if await process.waitForExit(timeout: grace) { return }
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(5))
    }

    /// SIGKILL, without suspending: for cleanup paths (`defer`). Blocks (briefly) until
    /// the process is gone.
    public func kill() {
        closeConnections()
        process.kill()
    }

    /// Waits until QEMU has exited by itself (after `quit`, or a completed migration's
    /// source told to quit); false when it still runs after `timeout`.
    public func waitForExit(timeout: Duration = .seconds(10)) async -> Bool {
        await process.waitForExit(timeout: timeout)
    }

    /// What QEMU wrote on its standard error (its complaints, warnings).
    public var standardError: String { process.standardError }

    private func closeConnections() {
        qmp.close()
        console.withLock { $0?.close() }
    }

    // MARK: - Processes by PID

    private static func readPID(_ pidFile: String) -> Int32? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether `pid` is a live process whose command line names `pidFile` (so a PID
    /// reused by another program is never signalled).
    static func isAlive(_ pid: Int32, pidFile: String) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // The state follows the command name in parentheses: "PID (comm) S ...".
        if let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            if state == "Z" || state == "X" { return false }
        }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains(pidFile)
    }

    /// Signals `pid` (when it is still this QEMU) and waits up to 5 s, blocking, for it to go.
    static func terminate(_ pid: Int32, pidFile: String, signal: Int32) -> Bool {
        guard isAlive(pid, pidFile: pidFile) else { return true }
        Foundation.kill(pid, signal)
        return eventually(timeout: .seconds(5)) { !isAlive(pid, pidFile: pidFile) }
    }

    /// Kills the QEMU whose pidfile is `pidFile`, if it still runs: for cleaning up after
    /// a run that died without stopping its VMs.
    public static func kill(pidFile: String) {
        guard let pid = readPID(pidFile) else { return }
        _ = terminate(pid, pidFile: pidFile, signal: SIGKILL)
    }
}
