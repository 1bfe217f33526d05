import Foundation
import GLMWire
import HomeAgentCore
import HomeAgentRuntime
import Logging
import Testing

/// The daemon over real UDP sockets on loopback addresses, with its real SQLite store.
@Suite("home-agent daemon over real sockets", .serialized)
struct DaemonTests {
    static let home = IPv4Address(127, 0, 0, 1)
    static let siteA = IPv4Address(127, 0, 0, 2)
    static let siteB = IPv4Address(127, 0, 0, 3)
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let keyABytes = [UInt8](repeating: 0xa1, count: 32)
    static let keyBBytes = [UInt8](repeating: 0xb2, count: 32)
    static let keyA = SecurityAssociation(spi: 256, key: keyABytes)!
    static let keyB = SecurityAssociation(spi: 257, key: keyBBytes)!

    static func yaml(port: UInt16, database: String) -> String {
        """
        address: 127.0.0.1
        port: \(port)
        home-interface: lo
        database: \(database)
        control-socket: \(database).sock
        metrics: off
        timers: { timestamp-window-ms: 5000 }   # a loaded test machine; the window itself is tested in the core
        sites:
          - { name: site-a, address: 127.0.0.2, spi: 256, key: \(keyABytes.hexString) }
          - { name: site-b, address: 127.0.0.3, spi: 257, key: \(keyBBytes.hexString) }
        vms:
          - { mac: "52:54:00:12:34:56", address: 10.10.0.50/24, gateway: 10.10.0.1 }
        """
    }

    /// A running daemon with its store in a fresh directory, stopped by `stop()`.
    struct Running {
        let daemon: HomeAgentDaemon
        let task: Task<Void, any Error>
        let directory: String
        let port: UInt16

        static func start(directory: String? = nil, port: UInt16? = nil) async throws -> Running {
            let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("glm-ha-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let port = port ?? UInt16.random(in: 20000...40000)
            let configuration = try HomeAgentConfiguration(yaml: yaml(port: port, database: "\(directory)/bindings.sqlite"), path: "test.yaml")
            let store = try BindingStore(path: configuration.database)
            let daemon = try await HomeAgentDaemon(configuration: configuration, store: store, dataPlane: nil,
                                             logger: Logger(label: "test.home-agent"))
            let task = Task { try await daemon.run() }
            for _ in 0..<200 where await daemon.signalingPort() == nil {
                try await Task.sleep(for: .milliseconds(5))
            }
            return Running(daemon: daemon, task: task, directory: directory, port: port)
        }

        func stop() async throws {
            daemon.shutdown()
            try await task.value
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test("registration, then a handoff with the BRI to the old site and its BRA")
    func registrationAndHandoff() async throws {
        let running = try await Running.start()
        defer { running.remove() }
        let a = try SiteSocket(address: Self.siteA, association: Self.keyA, home: Self.home, homePort: running.port)
        let b = try SiteSocket(address: Self.siteB, association: Self.keyB, home: Self.home, homePort: running.port)

        a.register(Self.vm, handoff: .attachmentOverNewInterface)
        let reply = try #require(await a.receive())
        #expect(reply.verified)
        guard case .proxyBindingAcknowledgement(let pba) = reply.message else { Issue.record("not a PBA"); return }
        #expect(pba.status == .accepted)
        #expect(pba.options.ipv4HomeAddressReply?.address == IPv4Address(10, 10, 0, 50))
        #expect(pba.options.ipv4DefaultRouterAddress == IPv4Address(10, 10, 0, 1))
        #expect(await running.daemon.bindings().map(\.siteName) == ["site-a"])

        b.register(Self.vm)
        guard case .proxyBindingAcknowledgement(let moved) = try #require(await b.receive()).message else { Issue.record("not a PBA"); return }
        #expect(moved.status == .accepted)
        let revocation = try #require(await a.receive())
        #expect(revocation.verified)
        guard case .bindingRevocationIndication(let bri) = revocation.message else { Issue.record("not a BRI"); return }
        #expect(bri.trigger == .interMAGHandoverSameAccessType)
        let bra = MobilityMessage.bindingRevocationAcknowledgement(BindingRevocationAcknowledgement(
            status: .success, sequenceNumber: bri.sequenceNumber, options: [.mobileNodeIdentifier(.eui48(Self.vm))]))
        a.send(bra)
        // Acknowledged: the retransmissions stop. (On a loaded machine one may already be on
        // its way when the BRA lands; it is answered too. Without the BRA there would be
        // retransmissions at 0.25, 0.75 and 1.75 s.)
        var retransmissions = 0
        let until = Date().addingTimeInterval(1.9)
        while Date() < until, let late = await a.receive(timeout: until.timeIntervalSinceNow) {
            if case .bindingRevocationIndication = late.message {
                retransmissions += 1
                a.send(bra)
            }
        }
        #expect(retransmissions <= 1)
        #expect(await running.daemon.bindings().map(\.siteName) == ["site-b"])

        try await running.stop()
        let stored = try BindingStore(path: "\(running.directory)/bindings.sqlite").loadAll()
        #expect(stored.map(\.siteName) == ["site-b"], "stopping keeps the bindings")
    }

    @Test("a revocation unanswered at a stop is sent again by the next start, and settled by its BRA")
    func revocationCarriedAcrossRestart() async throws {
        let first = try await Running.start()
        defer { first.remove() }
        let a = try SiteSocket(address: Self.siteA, association: Self.keyA, home: Self.home, homePort: first.port)
        let b = try SiteSocket(address: Self.siteB, association: Self.keyB, home: Self.home, homePort: first.port)
        a.register(Self.vm)
        _ = try #require(await a.receive())
        b.register(Self.vm)
        _ = try #require(await b.receive())
        guard case .bindingRevocationIndication(let owed) = try #require(await a.receive()).message else { Issue.record("not a BRI"); return }
        // Site A never answers; the agent stops with the revocation still owed.
        try await first.stop()
        let database = "\(first.directory)/bindings.sqlite"
        #expect(try BindingStore(path: database).loadRevocations().map(\.siteAddress) == [Self.siteA])
        while await a.receive(timeout: 0.1) != nil {}

        let second = try await Running.start(directory: first.directory, port: first.port)
        guard case .bindingRevocationIndication(let resent) = try #require(await a.receive()).message else {
            Issue.record("the next start sent no BRI"); return
        }
        #expect(resent.trigger == owed.trigger)
        #expect(resent.options.timestamp == owed.options.timestamp)
        #expect(resent.options.mobileNodeIdentifier == .eui48(Self.vm))
        a.send(.bindingRevocationAcknowledgement(BindingRevocationAcknowledgement(
            status: .success, sequenceNumber: resent.sequenceNumber, options: [.mobileNodeIdentifier(.eui48(Self.vm))])))
        try await Task.sleep(for: .milliseconds(100))
        try await second.stop()
        #expect(try BindingStore(path: database).loadRevocations().isEmpty, "the BRA settled it in the store")
        #expect(try BindingStore(path: database).loadAll().map(\.siteName) == ["site-b"])
    }

    @Test("refusals: forged, unknown VM; malformed gets no reply; nothing changes")
    func refusals() async throws {
        let running = try await Running.start()
        defer { running.remove() }
        let a = try SiteSocket(address: Self.siteA, association: Self.keyA, home: Self.home, homePort: running.port)
        a.register(Self.vm, key: Self.keyB)
        guard case .proxyBindingAcknowledgement(let forged) = try #require(await a.receive()).message else { Issue.record("no PBA"); return }
        #expect(forged.status == .authenticationFailed)
        a.register(MACAddress(2, 0, 0, 0, 0, 9))
        guard case .proxyBindingAcknowledgement(let unknown) = try #require(await a.receive()).message else { Issue.record("no PBA"); return }
        #expect(unknown.status == .notLMAForThisMobileNode)
        a.sendRaw([59, 9, 5, 0, 0, 0])
        #expect(await a.receive(timeout: 0.3) == nil)
        #expect(await running.daemon.bindings().isEmpty)
        try await running.stop()
    }

    @Test("heartbeats are answered with the persisted, incremented restart counter")
    func heartbeatAndRestartCounter() async throws {
        let first = try await Running.start()
        defer { first.remove() }
        let counter = await first.daemon.restartCounter()
        try await first.stop()
        let second = try await Running.start(directory: first.directory)
        let a = try SiteSocket(address: Self.siteA, association: Self.keyA, home: Self.home, homePort: second.port)
        a.send(.heartbeat(Heartbeat(sequenceNumber: 77)))
        guard case .heartbeat(let response) = try #require(await a.receive()).message else { Issue.record("no heartbeat"); return }
        #expect(response.isResponse && response.sequenceNumber == 77)
        #expect(response.options.restartCounter == counter + 1)
        try await second.stop()
    }
}
