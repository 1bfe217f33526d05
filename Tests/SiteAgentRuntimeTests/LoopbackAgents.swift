import Foundation
import GLMControl
import GLMWire
import HomeAgentRuntime
import Logging
import SiteAgentCore
import SiteAgentRuntime
import Synchronization

/// The real home agent and real site agents in this process, each on its own loopback
/// address with real UDP sockets: the home agent at 127.0.0.1, site A at 127.0.0.2 and
/// site B at 127.0.0.3, none with a data plane.
struct LoopbackAgents {
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let keyA = [UInt8](repeating: 0xa1, count: 32).hexString
    static let keyB = [UInt8](repeating: 0xb2, count: 32).hexString

    let home: HomeAgentDaemon
    let homeLog: LogRecorder
    let directory: String
    private let tasks: [Task<Void, any Error>]
    let siteA: SiteAgentDaemon
    let siteB: SiteAgentDaemon
    private let sites: [SiteAgentDaemon]

    static func start() async throws -> LoopbackAgents {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("glm-sa-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let homePort = UInt16.random(in: 20000...40000)
        let homeYAML = """
            address: 127.0.0.1
            port: \(homePort)
            home-interface: lo
            database: \(directory)/bindings.sqlite
            control-socket: \(directory)/home.sock
            metrics: off
            timers: { timestamp-window-ms: 5000 }   # a loaded test machine
            sites:
              - { name: site-a, address: 127.0.0.2, spi: 256, key: \(keyA) }
              - { name: site-b, address: 127.0.0.3, spi: 257, key: \(keyB) }
            vms:
              - { mac: "\(vm)", address: 10.10.0.50/24, gateway: 10.10.0.1 }
            """
        let homeConfiguration = try HomeAgentConfiguration(yaml: homeYAML, path: "\(directory)/home-agent.yaml")
        let homeLog = LogRecorder()
        let home = try await HomeAgentDaemon(configuration: homeConfiguration, store: try BindingStore(path: homeConfiguration.database),
                                       dataPlane: nil, logger: Logger(label: "test.home-agent") { _ in homeLog })
        var tasks = [Task { try await home.run() }]
        var sites: [SiteAgentDaemon] = []
        for (address, spi, key) in [("127.0.0.2", 256, keyA), ("127.0.0.3", 257, keyB)] {
            let yaml = """
                address: \(address)
                port: \(UInt16.random(in: 20000...40000))
                bridges: [lo]
                control-socket: \(directory)/\(address).sock
                metrics: off
                home-agents:
                  - { name: home, address: 127.0.0.1, port: \(homePort), spi: \(spi), key: \(key), vms: ["\(vm)"] }
                """
            let configuration = try SiteAgentConfiguration(yaml: yaml, path: "\(directory)/site-agent.yaml")
            let site = SiteAgentDaemon(configuration: configuration, dataPlane: nil, logger: Logger(label: "test.site-agent.\(address)"))
            tasks.append(Task { try await site.run() })
            sites.append(site)
        }
        let agents = LoopbackAgents(home: home, homeLog: homeLog, directory: directory, tasks: tasks,
                                    siteA: sites[0], siteB: sites[1], sites: sites)
        _ = await eventually { await home.signalingPort() != nil }
        for site in sites { _ = await eventually { await site.signalingPort() != nil } }
        return agents
    }

    /// Runs `body` with fresh agents and stops them afterwards, whether it throws or not.
    static func with(_ body: (LoopbackAgents) async throws -> Void) async throws {
        let agents = try await start()
        do {
            try await body(agents)
        } catch {
            await agents.stop()
            throw error
        }
        await agents.stop()
    }

    /// Stops every agent and removes the home agent's store.
    func stop() async {
        home.shutdown()
        for site in sites { site.shutdown() }
        for task in tasks { _ = try? await task.value }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The site names the home agent has bindings for.
    func boundSites() async -> [String] {
        await home.bindings().map(\.siteName)
    }

    /// What `status` on `site`'s control socket answers, decoded.
    static func status(_ site: SiteAgentDaemon) async throws -> SiteAgentStatus {
        guard case .answer(let bytes) = await SiteAgentControl.answer(.status, daemon: site) else { throw CocoaError(.coderInvalidValue) }
        return try JSONDecoder().decode(SiteAgentStatus.self, from: Data(bytes))
    }
}

/// Waits, without blocking a thread, until `condition` holds or about two seconds pass.
func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<400 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}

/// A log handler that keeps the messages it is given, for tests to look for.
struct LogRecorder: LogHandler {
    private let messages = Messages()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        messages.value.withLock { $0.append("\(event.message)") }
    }

    func contains(_ message: String) -> Bool {
        messages.value.withLock { $0.contains(message) }
    }

    final class Messages: Sendable {
        let value = Mutex<[String]>([])
    }
}
