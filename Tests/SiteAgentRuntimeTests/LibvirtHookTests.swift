import AgentRuntime
import Foundation
import LabSupport
import SiteAgentRuntime
import Testing

/// The libvirt hook (`scripts/libvirt/qemu-hook.sh`) cannot hurt libvirt: run as libvirt
/// runs it, with the real `site-agent notify`, against an agent that never answers (a
/// control socket that takes connections and says nothing) and against none at all, it
/// returns within its timeout, prints nothing on standard output, says what failed on
/// standard error, and exits 0; against a real site agent that drains, `migrate` exits 1.
@Suite("The libvirt hook against an agent that hangs", .serialized)
struct LibvirtHookTests {
    static let hook = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/libvirt/qemu-hook.sh").path
    static let macs = ["52:54:00:aa:00:01", "52:54:00:aa:00:02", "52:54:00:aa:00:03"]

    /// A Unix stream socket that listens and never accepts: a connection completes in the
    /// kernel's backlog, the request is written, and the answer never comes.
    final class SilentAgent {
        let descriptor: Int32

        init(path: String) throws {
            descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            let bound = UnixSocketAddress.with(path) { [descriptor] in bind(descriptor, $0, $1) }
            try #require(bound == 0 && listen(descriptor, 16) == 0, "listen on \(path): errno \(errno)")
        }

        deinit { close(descriptor) }
    }

    /// Runs the hook for `operation` with a domain of three interfaces; settings from a
    /// defaults file (the timeout) and the environment (the agent and its socket).
    static func runHook(_ operation: String, socket: String, timeout: Int, in directory: String) async throws -> (ProgramRun, Duration) {
        let siteAgent = try #require(TestEnvironment.builtExecutable("site-agent"), "site-agent is not built (swift build --build-tests builds it)")
        let defaults = "\(directory)/glm-hook"
        try "GLM_HOOK_TIMEOUT=\(timeout)\nSITE_AGENT=/nonexistent/overridden-by-the-environment\n"
            .write(toFile: defaults, atomically: true, encoding: .utf8)
        let domain = "<domain type='kvm'><name>vm-h</name><devices>"
            + macs.map { "<interface type='bridge'><mac address='\($0)'/><source bridge='br0'/></interface>" }.joined()
            + "</devices></domain>"
        let xml = "\(directory)/domain.xml"
        try domain.write(toFile: xml, atomically: true, encoding: .utf8)
        let command = "GLM_HOOK_DEFAULTS=\(defaults) SITE_AGENT=\(siteAgent) SITE_AGENT_SOCKET=\(socket) "
            + "GLM_HOOK_STATE=\(directory)/state \(hook) vm-h \(operation) begin - < \(xml)"
        let started = ContinuousClock.now
        let run = try await ProgramRun.run("/bin/sh", ["-c", command], timeout: .seconds(30))
        return (run, ContinuousClock.now - started)
    }

    @Test("an agent that never answers: migrate begin returns within the hook's timeout, silent on standard output")
    func hangingAgent() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-hook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = "\(directory)/site-agent.sock"
        let agent = try SilentAgent(path: socket)
        let (run, elapsed) = try await Self.runHook("migrate", socket: socket, timeout: 2, in: directory)
        print("libvirt hook against a silent agent, timeout 2 s, 3 interfaces: returned after \(elapsed)")
        #expect(run.status == 0 && !run.timedOut, "\(run.standardError)")
        #expect(run.standardOutput.isEmpty, "libvirt would read this as a domain XML: \(run.standardOutput)")
        // The three calls run side by side and are cut at 2 s (one more for the kill):
        // well under the 3 × 2 s they would take in turn.
        #expect(elapsed < .seconds(5), "the hook held libvirt for \(elapsed)")
        for mac in Self.macs {
            #expect(run.standardError.contains("notify incoming \(mac) for vm-h failed: no answer within 2 s"), "\(run.standardError)")
        }
        withExtendedLifetime(agent) {}
    }

    @Test("no agent at all: every operation fails fast, is reported on standard error, and exits 0")
    func noAgent() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-hook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for operation in ["migrate", "started", "release"] {
            let (run, _) = try await Self.runHook(operation, socket: "\(directory)/absent.sock", timeout: 5, in: directory)
            #expect(run.status == 0 && run.standardOutput.isEmpty, "\(operation): \(run.standardOutput) \(run.standardError)")
            if operation != "started" {  // `started` after `migrate` sends nothing: the announce registers the VM
                #expect(run.standardError.contains("failed:"), "\(operation): \(run.standardError)")
            }
        }
    }

    @Test("a host that drains: migrate exits 1 so that libvirt aborts the migration; undrained, it prepares")
    func drainingHost() async throws {
        try await LoopbackAgents.with { agents in
            let socket = agents.directory + "/site-agent-hook.sock"
            let site = agents.siteA
            let control = try await ControlSocket.bind(path: socket) { await SiteAgentControl.answer($0, daemon: site) }
            await site.setDraining(true)
            let (refused, _) = try await Self.runHook("migrate", socket: socket, timeout: 5, in: agents.directory)
            #expect(refused.status == 1 && refused.standardOutput.isEmpty, "\(refused.standardError)")
            #expect(refused.standardError.contains("this host drains"), "\(refused.standardError)")
            #expect(await site.states().isEmpty, "nothing prepared while draining")

            await site.setDraining(false)
            let (accepted, _) = try await Self.runHook("migrate", socket: socket, timeout: 5, in: agents.directory)
            #expect(accepted.status == 0 && accepted.standardOutput.isEmpty, "\(accepted.standardError)")
            #expect(!accepted.standardError.contains("drains"), "\(accepted.standardError)")
            #expect(await eventually { await site.states().count == Self.macs.count }, "each MAC handed to the agent once undrained")
            await control.close()
        }
    }
}
