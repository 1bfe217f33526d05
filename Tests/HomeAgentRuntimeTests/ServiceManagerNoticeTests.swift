import AgentRuntime
import Foundation
import LabSupport
import Testing

/// `Type=notify`: the real home agent tells the socket `NOTIFY_SOCKET` names that it is
/// ready once it serves, as systemd's own socket would hear it; abstract names work too.
@Suite("sd_notify readiness", .serialized)
struct ServiceManagerNoticeTests {
    /// A Unix datagram socket standing where systemd's notify socket would.
    final class NotifySocket {
        let descriptor: Int32
        let name: String

        /// Bound at `path`, or in the abstract namespace when `abstract`.
        init(path: String, abstract: Bool = false) throws {
            let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            self.descriptor = descriptor
            name = abstract ? "@" + path : path
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(path.utf8)
            if abstract { bytes.insert(0, at: 0) }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            try #require(bound == 0, "bind \(path): errno \(errno)")
        }

        /// The next datagram, or nil after `timeout` seconds.
        func receive(timeout: Double) -> String? {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(timeout * 1000)) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
        }

        deinit { close(descriptor) }
    }

    @Test("send reaches a socket by path and by abstract name; without NOTIFY_SOCKET nothing is sent")
    func sendByPathAndAbstractName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-notify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let byPath = try NotifySocket(path: "\(directory)/notify")
        #expect(ServiceManagerNotice.send("STATUS=by path", socket: byPath.name))
        #expect(byPath.receive(timeout: 1) == "STATUS=by path")
        let abstract = try NotifySocket(path: "glm-notify-\(UUID().uuidString)", abstract: true)
        #expect(ServiceManagerNotice.send("READY=1", socket: abstract.name))
        #expect(abstract.receive(timeout: 1) == "READY=1")
        #expect(!ServiceManagerNotice.send("READY=1", socket: nil))
        #expect(!ServiceManagerNotice.send("READY=1", socket: ""))
    }

    @Test("the home agent says READY=1, with its pid and what it serves, once its socket is bound")
    func homeAgentReady() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-notify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notify = try NotifySocket(path: "\(directory)/notify")
        let port = UInt16.random(in: 20000...40000)
        let config = "\(directory)/home-agent.yaml"
        try HomeAgentProcessTests.configuration(port: port, directory: directory, vms: 1)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try HomeAgentProcessTests.executable("home-agent"))
        process.arguments = ["run", "--config", config, "--no-data-plane"]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.name
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let ready = try #require(notify.receive(timeout: 10), "no notification from the home agent")
        let fields = Set(ready.split(separator: "\n").map(String.init))
        #expect(fields.contains("READY=1"), "\(ready)")
        #expect(fields.contains("MAINPID=\(process.processIdentifier)"), "\(ready)")
        #expect(fields.contains { $0.hasPrefix("STATUS=serving 127.0.0.1") }, "\(ready)")
        // Ready means it answers: its signaling socket is bound.
        let site = try SiteSocket(address: DaemonTests.siteA, association: DaemonTests.keyA, home: DaemonTests.home, homePort: port)
        #expect(await site.waitForAgent())
    }
}
