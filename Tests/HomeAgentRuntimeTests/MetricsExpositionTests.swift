import AgentRuntime
import Foundation
import GLMControl
import LabSupport
import Testing

/// What Prometheus scrapes from each agent as an operator runs it (`run --config`,
/// no data plane): every family described, the build named, timers bucketed for GLM.
@Suite("Metrics exposition of both agents", .serialized)
struct MetricsExpositionTests {
    /// The bounds, in seconds, of every `_seconds` histogram (`+Inf` aside).
    static let timerBounds: [Double] = [25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3,
                                        50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5]

    @Test("Every family has its HELP, glm_build_info names the agent and release, timers have GLM's buckets",
          arguments: AgentMetrics.Agent.allCases)
    func exposition(_ agent: AgentMetrics.Agent) async throws {
        try await Self.expectDescribed(agent)
    }

    static func expectDescribed(_ agent: AgentMetrics.Agent) async throws {
        let text = try await scrape(agent)
        var described: [String: String] = [:]
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# ") {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard words.count >= 3 else { continue }
            if words[1] == "HELP" { described[words[2]] = words.count == 4 ? words[3] : "" }
            if words[1] == "TYPE" { types[words[2]] = words.count == 4 ? words[3] : "" }
        }
        #expect(types.count > 10, "\(text)")
        let undescribed = types.keys.filter { described[$0] != MetricCatalogue.help(for: $0) || described[$0]?.isEmpty != false }
        #expect(undescribed.isEmpty, "no HELP from the catalogue: \(undescribed.sorted())")

        let build = text.split(separator: "\n").filter { $0.hasPrefix("glm_build_info{") }
        #expect(build.count == 1 && build[0].contains("agent=\"\(agent.rawValue)\"")
                && build[0].contains("version=\"\(GLMVersion.current)\"") && Double(build[0].split(separator: " ").last ?? "") == 1,
                "\(build)")

        let timers = types.filter { $0.value == "histogram" && $0.key.hasSuffix("_seconds") }.keys
        #expect(!timers.isEmpty)
        for timer in timers {
            let bounds = text.split(separator: "\n").filter { $0.hasPrefix("\(timer)_bucket{") }
                .compactMap { $0.split(separator: "le=\"").last?.split(separator: "\"").first.map(String.init) }
            #expect(bounds.dropLast().compactMap(Double.init) == timerBounds && bounds.last == "+Inf", "\(timer): \(bounds)")
        }
    }

    /// Starts the agent with its metrics on a free port of 127.0.0.1 and returns what
    /// `GET /metrics` answers, once it listens.
    static func scrape(_ agent: AgentMetrics.Agent) async throws -> String {
        let directory = try TemporaryDirectory()
        let port = UInt16.random(in: 20000...40000)
        let metricsPort = port + 1
        let configuration: String
        switch agent {
        case .homeAgent:
            configuration = HomeAgentProcessTests.configuration(port: port, directory: directory.path, vms: 1)
                .replacingOccurrences(of: "metrics: off", with: "metrics: 127.0.0.1:\(metricsPort)")
        case .siteAgent:
            configuration = """
                address: 127.0.0.2
                port: \(port)
                bridges: [lo]
                control-socket: \(directory.path)/control.sock
                metrics: 127.0.0.1:\(metricsPort)
                home-agents:
                  - { name: home, address: 127.0.0.1, port: \(port + 2), spi: 256, key: \(DaemonTests.keyABytes.hexString) }
                """
        }
        let file = "\(directory.path)/\(agent.rawValue).yaml"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        let process = ChildProcess(try HomeAgentProcessTests.executable(agent.rawValue), ["run", "--config", file, "--no-data-plane"])
        try process.start()
        defer { process.kill() }
        try #require(await waitUntil(timeout: .seconds(10)) { process.standardError.contains("metrics endpoint listening") },
                     "\(agent.rawValue) did not start: \(process.standardError.suffix(1000))")
        let response = try HomeAgentProcessTests.httpGet(port: metricsPort, path: "/metrics")
        try #require(response.hasPrefix("HTTP/1.0 200") || response.hasPrefix("HTTP/1.1 200"), "\(response.prefix(200))")
        return String(response[try #require(response.range(of: "\r\n\r\n")).upperBound...])
    }
}
