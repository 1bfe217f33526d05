import AgentRuntime
import Foundation
import GLMControl
import GLMWire
import LabSupport
import Testing

/// The `home-agent` executable as an operator runs it: `run --config`, the control
/// socket, `glmctl bindings`, and a `kill -9` in the middle of registrations.
@Suite("home-agent process", .serialized)
struct HomeAgentProcessTests {
    static func executable(_ name: String) throws -> String {
        try #require(TestEnvironment.builtExecutable(name), "\(name) is not built (swift build --build-tests builds it)")
    }

    static func mac(_ index: Int) -> MACAddress { MACAddress(0x52, 0x54, 0x00, 0x00, 0x01, UInt8(index)) }

    static func configuration(port: UInt16, directory: String, vms: Int) -> String {
        var text = """
        address: 127.0.0.1
        port: \(port)
        home-interface: lo
        database: \(directory)/bindings.sqlite
        control-socket: \(directory)/control.sock
        metrics: off
        timers: { timestamp-window-ms: 5000 }
        sites:
          - { name: site-a, address: 127.0.0.2, spi: 256, key: \(DaemonTests.keyABytes.hexString) }
        vms:

        """
        for index in 1...vms {
            text += "  - { mac: \"\(mac(index))\", address: 10.10.1.\(index)/24, gateway: 10.10.1.254 }\n"
        }
        return text
    }

    final class AgentProcess {
        let process = Process()
        init(config: String) throws {
            process.executableURL = URL(fileURLWithPath: try HomeAgentProcessTests.executable("home-agent"))
            process.arguments = ["run", "--config", config, "--no-data-plane"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
        }
        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A control-socket request, retried while the agent is still starting.
    static func request(_ request: ControlRequest, path: String) async throws -> [UInt8] {
        for _ in 0..<100 {
            if let answer = try? await ControlClient(path: path).raw(request) { return answer }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await ControlClient(path: path).raw(request)
    }

    static func waitFor(_ path: String) async throws {
        for _ in 0..<400 where !FileManager.default.fileExists(atPath: path) {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test("kill -9 in the middle of registrations loses no acknowledged binding")
    func killNine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-ha-proc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = UInt16.random(in: 20000...40000)
        let config = "\(directory)/home-agent.yaml"
        try Self.configuration(port: port, directory: directory, vms: 60).write(toFile: config, atomically: true, encoding: .utf8)

        let first = try AgentProcess(config: config)
        try await Self.waitFor("\(directory)/control.sock")
        let site = try SiteSocket(address: DaemonTests.siteA, association: DaemonTests.keyA, home: DaemonTests.home, homePort: port)
        try #require(await site.waitForAgent(), "the agent answers on its signaling socket")
        var acknowledged: Set<MACAddress> = []
        for index in 1...30 {
            site.register(Self.mac(index))
            if case .proxyBindingAcknowledgement(let pba)? = await site.receive()?.message, pba.status == .accepted,
               case .eui48(let mac)? = pba.options.mobileNodeIdentifier {
                acknowledged.insert(mac)
            }
        }
        // A burst, and the kill while it is being handled: every PBA that got out counts.
        for index in 31...60 { site.register(Self.mac(index)) }
        try await Task.sleep(for: .milliseconds(3))
        first.kill9()
        while let reply = await site.receive(timeout: 0.2) {
            if case .proxyBindingAcknowledgement(let pba) = reply.message, pba.status == .accepted,
               case .eui48(let mac)? = pba.options.mobileNodeIdentifier {
                acknowledged.insert(mac)
            }
        }
        #expect(acknowledged.count >= 30)

        // The killed agent left its socket file behind: wait for the new one.
        try? FileManager.default.removeItem(atPath: "\(directory)/control.sock")
        let second = try AgentProcess(config: config)
        defer { second.kill9() }
        try await Self.waitFor("\(directory)/control.sock")
        let answer = try await Self.request(.bindings, path: "\(directory)/control.sock")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [[String: Any]])
        let restored = Set(rows.compactMap { ($0["vm"] as? String).flatMap(MACAddress.init) })
        #expect(acknowledged.isSubset(of: restored), "lost: \(acknowledged.subtracting(restored))")

        // The operator's view of the same cache.
        let glmctl = try ProgramRun(try Self.executable("glmctl"), ["bindings", "--socket", "\(directory)/control.sock"])
        #expect(glmctl.status == 0)
        #expect(glmctl.standardOutput.contains("VM") && glmctl.standardOutput.contains("site-a"))
        #expect(glmctl.standardOutput.split(separator: "\n").count == restored.count + 1)
    }

    @Test("the Prometheus endpoint counts updates by status and the bindings")
    func metrics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-ha-metrics-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = UInt16.random(in: 20000...40000)
        let metricsPort = port + 1
        let config = "\(directory)/home-agent.yaml"
        try Self.configuration(port: port, directory: directory, vms: 2)
            .replacingOccurrences(of: "metrics: off", with: "metrics: 127.0.0.1:\(metricsPort)")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(config: config)
        defer { agent.kill9() }
        try await Self.waitFor("\(directory)/control.sock")
        let site = try SiteSocket(address: DaemonTests.siteA, association: DaemonTests.keyA, home: DaemonTests.home, homePort: port)
        try #require(await site.waitForAgent(), "the agent answers on its signaling socket")
        site.register(Self.mac(1))
        _ = try #require(await site.receive())
        site.register(Self.mac(9))
        _ = try #require(await site.receive())
        let text = try Self.httpGet(port: metricsPort, path: "/metrics")
        #expect(text.contains("200 OK"))
        #expect(text.contains("glm_home_updates_total{status=\"accepted\"} 1"), "\(text)")
        #expect(text.contains("glm_home_updates_total{status=\"not-lma-for-this-mobile-node\"} 1"))
        #expect(text.contains("glm_home_bindings 1"))
        let missing = try Self.httpGet(port: metricsPort, path: "/other")
        #expect(missing.contains("404"))
    }

    /// A plain HTTP/1.0 GET over a TCP socket to 127.0.0.1.
    static func httpGet(port: UInt16, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = SiteSocket.socketAddress(IPv4Address(127, 0, 0, 1), port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "cannot connect to the metrics port")
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            response += chunk[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test("SIGHUP reloads without dropping bindings; a VM taken out of the policy is revoked; a bad file is refused")
    func reload() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-ha-reload-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = UInt16.random(in: 20000...40000)
        let config = "\(directory)/home-agent.yaml"
        try Self.configuration(port: port, directory: directory, vms: 3).write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(config: config)
        defer { agent.kill9() }
        try await Self.waitFor("\(directory)/control.sock")
        let site = try SiteSocket(address: DaemonTests.siteA, association: DaemonTests.keyA, home: DaemonTests.home, homePort: port)
        try #require(await site.waitForAgent(), "the agent answers on its signaling socket")
        for index in 1...3 {
            site.register(Self.mac(index))
            _ = try #require(await site.receive())
        }
        func bound() async throws -> Set<String> {
            let answer = try await Self.request(.bindings, path: "\(directory)/control.sock")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(answer)) as? [[String: Any]])
            return Set(rows.compactMap { $0["vm"] as? String })
        }
        #expect(try await bound().count == 3)

        // A broken file: refused, the running configuration and every binding kept.
        try "address: [".write(toFile: config, atomically: true, encoding: .utf8)
        kill(agent.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await bound().count == 3)

        // VM 3 leaves the policy: its binding goes and its site is told.
        try Self.configuration(port: port, directory: directory, vms: 2).write(toFile: config, atomically: true, encoding: .utf8)
        kill(agent.process.processIdentifier, SIGHUP)
        let revocation = try #require(await site.receive())
        guard case .bindingRevocationIndication(let bri) = revocation.message else { Issue.record("no BRI"); return }
        #expect(bri.trigger == .administrativeReason)
        #expect(bri.options.mobileNodeIdentifier == .eui48(Self.mac(3)))
        #expect(try await bound() == [Self.mac(1).description, Self.mac(2).description])
    }

    @Test("a bad configuration is refused at start with file, line and reason")
    func badConfiguration() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-ha-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = "\(directory)/home-agent.yaml"
        var text = Self.configuration(port: 5436, directory: directory, vms: 2)
        text = text.replacingOccurrences(of: "10.10.1.2/24", with: "10.10.1.300/24")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let run = try ProgramRun(try Self.executable("home-agent"), ["run", "--config", config])
        #expect(run.status == 78)
        #expect(run.standardError.contains("\(config):12:"), "\(run.standardError)")
        let check = try ProgramRun(try Self.executable("home-agent"), ["check", "--config", config])
        #expect(check.status == 78)
    }
}
