import AgentRuntime
import Foundation
import GLMControl
import SiteAgentRuntime
import Testing

/// The control socket's two ends: the client's deadline holds against an agent that
/// never answers, and the agent answers a client that shut its writing side after the
/// request (what `socat` does at the end of its input).
@Suite("Control socket client and server", .serialized)
struct ControlClientTests {
    @Test("a call to an agent that never answers fails at its deadline")
    func deadline() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-control-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let agent = try LibvirtHookTests.SilentAgent(path: "\(directory)/silent.sock")
        let started = ContinuousClock.now
        let error = await #expect(throws: ControlClientError.self) {
            _ = try await ControlClient(path: "\(directory)/silent.sock", deadline: .milliseconds(300)).raw(.status)
        }
        let elapsed = ContinuousClock.now - started
        // Without the deadline the call would wait for ever; the bound is loose because this
        // runs beside other tests that keep the processors busy (CI saw 4 s).
        if case .deadline? = error {} else { Issue.record("not the deadline: \(String(describing: error))") }
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(15), "\(elapsed)")
        await #expect(throws: ControlClientError.self) {
            _ = try await ControlClient(path: "\(directory)/absent.sock").raw(.status)
        }
        withExtendedLifetime(agent) {}
    }

    @Test("a client that half-closes after its request still reads the answer")
    func halfClosedClient() async throws {
        try await LoopbackAgents.with { agents in
            let path = agents.directory + "/half-close.sock"
            let site = agents.siteA
            let socket = try await ControlSocket.bind(path: path) { await SiteAgentControl.answer($0, daemon: site) }
            let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            let connected = UnixSocketAddress.with(path) { connect(descriptor, $0, $1) }
            try #require(connected == 0)
            let request = Array("{\"request\":\"status\"}\n".utf8)
            #expect(write(descriptor, request, request.count) == request.count)
            shutdown(descriptor, Int32(SHUT_WR))
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { break }
                answer += buffer[0..<count]
            }
            let status = try JSONDecoder().decode(SiteAgentStatus.self, from: Data(answer))
            #expect(status.homeAgents.map(\.name) == ["home"], "\(String(decoding: answer, as: UTF8.self))")
            await socket.close()
        }
    }
}
