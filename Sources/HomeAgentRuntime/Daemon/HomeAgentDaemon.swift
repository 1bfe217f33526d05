import Foundation
import GLMWire
import HomeAgentCore
import Logging
import Metrics
import NIOCore
import NIOPosix

/// The running home agent: the protocol core fed from the signaling socket, the home
/// LAN and the clock, one event at a time, its actions carried out in order — a binding
/// change is in SQLite before the PBA that announces it leaves.
public actor HomeAgentDaemon {
    public enum Input: Sendable {
        case event(HomeAgentEvent)
        case reload(HomeAgentConfiguration)
    }

    private var core: HomeAgentCore
    private var configuration: HomeAgentConfiguration
    private let store: BindingStore
    private let dataPlane: (any HomeDataPlane)?
    private let reporter: NoticeReporter
    private let logger: Logger
    private let group: EventLoopGroup
    private let inputs: AsyncStream<Input>
    private let continuation: AsyncStream<Input>.Continuation
    private var channel: SignalingChannel?
    private var timerTask: Task<Void, Never>?
    private var armedDeadline: Double?
    private let bindingsGauge = Gauge(label: "glm_home_bindings")
    private let processing = Metrics.Timer(label: "glm_home_processing_seconds")

    /// Opens the store and takes its restart counter; nothing is bound until ``run()``.
    public init(configuration: HomeAgentConfiguration, store: BindingStore, dataPlane: (any HomeDataPlane)?,
                logger: Logger, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.configuration = configuration
        self.store = store
        self.dataPlane = dataPlane
        self.logger = logger
        self.reporter = NoticeReporter(logger: logger)
        self.group = group
        self.core = HomeAgentCore(policy: configuration.policy, restartCounter: try store.nextRestartCounter())
        (inputs, continuation) = AsyncStream.makeStream(of: Input.self)
    }

    /// Hands an input to the daemon; inputs are handled in the order given.
    public nonisolated func submit(_ input: Input) {
        continuation.yield(input)
    }

    /// Ends ``run()``: the socket closes and the data plane is undone; bindings stay stored.
    public nonisolated func shutdown() {
        continuation.finish()
    }

    /// The binding cache as it is now.
    public func bindings() -> [Binding] {
        core.bindings.values.sorted { $0.vm < $1.vm }
    }

    public func restartCounter() -> UInt32 { core.restartCounter }

    /// The UDP port the signaling socket is bound to.
    public func signalingPort() -> UInt16? { channel?.port }

    /// Restores the bindings, binds the socket and runs until the task is cancelled; then
    /// closes the socket and undoes the data plane. Bindings stay in the store.
    public func run() async throws {
        let restored = try store.loadAll()
        if let dataPlane { try await dataPlane.start() }
        try await perform(core.restore(restored, at: Self.now()))
        logger.info("home agent started", metadata: [
            "address": "\(configuration.policy.address)", "port": "\(configuration.listenPort)",
            "bindings": "\(restored.count)", "restart_counter": "\(core.restartCounter)"])
        let continuation = self.continuation
        channel = try await SignalingChannel.bind(
            address: configuration.policy.address, port: configuration.listenPort, group: group) { datagram in
            continuation.yield(.event(.datagram(datagram.bytes, from: datagram.from, port: datagram.port, to: .any)))
        }
        armTimer()
        await withTaskCancellationHandler {
            for await input in inputs {
                await handle(input)
            }
        } onCancel: {
            continuation.finish()
        }
        timerTask?.cancel()
        await channel?.close()
        channel = nil
        if let dataPlane { await dataPlane.stop() }
        logger.info("home agent stopped", metadata: ["bindings": "\(core.bindings.count)"])
    }

    private func handle(_ input: Input) async {
        let started = ContinuousClock.now
        defer {
            bindingsGauge.record(core.bindings.count)
            let elapsed = ContinuousClock.now - started
            processing.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        let now = Self.now()
        switch input {
        case .event(.datagram(let bytes, let from, let port, _)):
            // Authenticators bind the address the site sent to: this agent's own.
            await perform(core.handle(.datagram(bytes, from: from, port: port, to: configuration.policy.address), at: now))
        case .event(let event):
            if case .timer = event { armedDeadline = nil }
            await perform(core.handle(event, at: now))
        case .reload(let newConfiguration):
            configuration = newConfiguration
            await perform(core.reload(newConfiguration.policy, at: now))
            logger.info("configuration reloaded", metadata: ["sites": "\(newConfiguration.policy.sites.count)",
                                                             "vms": "\(newConfiguration.policy.vms.count)"])
        }
        armTimer()
    }

    /// Carries out actions in order. A failed write stops the sequence: what would have
    /// announced the change is not sent.
    private func perform(_ actions: [HomeAgentAction]) async {
        for action in actions {
            do {
                switch action {
                case .persist(let binding):
                    try store.save(binding)
                case .unpersist(let vm):
                    try store.delete(vm: vm)
                case .attach(let vm):
                    try await dataPlane?.attach(vm)
                case .move(let vm):
                    try await dataPlane?.move(vm)
                case .detach(let vm):
                    try await dataPlane?.detach(vm)
                case .send(let bytes, let to, let port):
                    try await channel?.send(bytes, to: to, port: port)
                case .notice(let notice):
                    reporter.report(notice)
                }
            } catch {
                logger.error("action failed; the rest of this exchange is not carried out",
                             metadata: ["action": "\(action)", "error": "\(error)"])
                return
            }
        }
    }

    private func armTimer() {
        guard let deadline = core.nextDeadline else {
            timerTask?.cancel()
            armedDeadline = nil
            return
        }
        guard deadline != armedDeadline else { return }
        armedDeadline = deadline
        timerTask?.cancel()
        let continuation = self.continuation
        timerTask = Task {
            let delay = max(0, deadline - Self.now())
            try? await Task.sleep(for: .milliseconds(Int64((delay * 1000).rounded(.up))))
            if Task.isCancelled { return }
            continuation.yield(.event(.timer))
        }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
