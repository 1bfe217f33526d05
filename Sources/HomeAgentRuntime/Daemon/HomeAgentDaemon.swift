import AgentRuntime
import Foundation
import GLMControl
import GLMWire
import HomeAgentCore
import Logging
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// The running home agent: the protocol core fed from the signaling socket, the home
/// LAN and the clock, one event at a time, its actions carried out in order — a binding
/// change is in SQLite before the PBA that announces it leaves.
///
/// Inputs that arrive while a batch is being handled wait in an inbox and form the next
/// batch: the core handles them one by one, then every binding change of the batch is
/// committed in one transaction (one flush), and only then do its PBAs go out. Under
/// load this group commit keeps the flush from bounding the registration rate.
public actor HomeAgentDaemon {
    public enum Input: Sendable {
        case event(HomeAgentEvent)
        case reload(HomeAgentConfiguration)
    }

    var core: HomeAgentCore
    var configuration: HomeAgentConfiguration
    private let store: any BindingPersistence
    private let dataPlane: (any HomeDataPlane)?
    private let reporter: NoticeReporter
    private let logger: Logger
    private let group: EventLoopGroup
    private let inbox = EventInbox<Input>()
    private var channel: SignalingChannel?
    private let channelBox = ChannelBox()
    private let commits: CommitQueue
    private var alarm = DeadlineAlarm()
    private let bindingsGauge = Gauge(label: "glm_home_bindings")
    private let preparedGauge = Gauge(label: "glm_home_prepared_endpoints")
    private let processing = Metrics.Timer(label: "glm_home_processing_seconds")
    var ledger: PeerLedger
    /// What `glmctl watch` follows (a cluster member's, across its terms).
    public nonisolated let events: ControlEventFeed

    /// Takes the store's restart counter for this start; nothing is bound until ``run()``.
    /// `commitFailed` hears of every batch of changes the store refused.
    public init(configuration: HomeAgentConfiguration, store: any BindingPersistence, dataPlane: (any HomeDataPlane)?,
                logger: Logger, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                events: ControlEventFeed = ControlEventFeed(), commitFailed: @escaping @Sendable (any Error) -> Void = { _ in }) async throws {
        self.configuration = configuration
        self.store = store
        self.dataPlane = dataPlane
        self.logger = logger
        self.reporter = NoticeReporter(logger: logger)
        self.group = group
        self.events = events
        self.core = HomeAgentCore(policy: configuration.policy, restartCounter: try await store.restartCounterForStart())
        self.ledger = .sites(configuration.policy)
        let box = channelBox
        commits = CommitQueue(store: store, logger: logger, release: { replies in box.channel?.send(batch: replies) },
                              failed: commitFailed)
    }

    /// The signaling socket, for the commit queue's thread.
    final class ChannelBox: Sendable {
        private let current = Mutex<SignalingChannel?>(nil)
        var channel: SignalingChannel? {
            get { current.withLock { $0 } }
            set { current.withLock { $0 = newValue } }
        }
    }

    /// Hands an input to the daemon; inputs are handled in the order given.
    public nonisolated func submit(_ input: Input) {
        inbox.submit(input)
    }

    /// Ends ``run()``: the socket closes and the data plane is undone; bindings stay stored.
    public nonisolated func shutdown() {
        inbox.finish()
    }

    /// The binding cache as it is now.
    public func bindings() -> [Binding] {
        core.bindings.values.sorted { $0.vm < $1.vm }
    }

    public func restartCounter() -> UInt32 { core.restartCounter }

    /// The sites preparing to receive a VM now.
    public func preparations() -> [Preparation] { core.preparations.values.sorted { $0.site.vm < $1.site.vm } }

    /// The UDP port the signaling socket is bound to.
    public func signalingPort() -> UInt16? { channel?.port }

    /// Restores the bindings, binds the socket and runs until the task is cancelled; then
    /// closes the socket and undoes the data plane. Bindings stay in the store.
    public func run() async throws {
        let restored = try await store.storedBindings()
        let preparations = try await store.storedPreparations()
        let revocations = try await store.storedRevocations()
        if let dataPlane { try await dataPlane.start() }
        await perform(core.restore(restored, at: Self.now()))
        await perform(core.restorePreparations(preparations, at: Self.now()))
        logger.info("home agent started", metadata: [
            "address": "\(configuration.policy.address)", "port": "\(configuration.listenPort)",
            "bindings": "\(restored.count)", "revocations": "\(revocations.count)", "store": "\(store.location)", "restart_counter": "\(core.restartCounter)"])
        let inbox = self.inbox
        channel = try await SignalingChannel.bind(
            address: configuration.policy.address, port: configuration.listenPort, group: group) { datagram in
            inbox.submit(.event(.datagram(datagram.bytes, from: datagram.from, port: datagram.port, to: .any)))
        }
        channelBox.channel = channel
        // The BRIs owed to sites go out once there is a socket to send them from.
        await perform(core.restoreRevocations(revocations, at: Self.now()))
        // Serving: systemd's `Type=notify` start ends here (for a cluster member, the
        // status says so; the member was ready as a standby already).
        ServiceManagerNotice.ready(status: "serving \(configuration.policy.address): \(restored.count) bindings restored")
        armTimer()
        await inbox.drain { batch in await self.handle(batch) }
        alarm.cancel()
        // What was decided before the stop is made durable and answered.
        while !commits.isIdle { try? await Task.sleep(for: .milliseconds(1)) }
        channelBox.channel = nil
        await channel?.close()
        channel = nil
        if let dataPlane { await dataPlane.stop() }
        ledger.standDown()
        logger.info("home agent stopped", metadata: ["bindings": "\(core.bindings.count)"])
    }

    private func handle(_ batch: [Input]) async {
        let started = ContinuousClock.now
        defer {
            bindingsGauge.record(core.bindings.count)
            preparedGauge.record(core.preparations.count)
            let elapsed = ContinuousClock.now - started
            processing.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        var actions: [HomeAgentAction] = []
        var heartbeatsChanged = false
        for input in batch {
            let now = Self.now()
            switch input {
            case .event(.datagram(let bytes, let from, let port, _)):
                // Authenticators bind the address the site sent to: this agent's own.
                actions += core.handle(.datagram(bytes, from: from, port: port, to: configuration.policy.address), at: now)
            case .event(let event):
                if case .timer = event {
                    alarm.fired()
                    heartbeatsChanged = true
                }
                actions += core.handle(event, at: now)
            case .reload(let newConfiguration):
                configuration = newConfiguration
                actions += core.reload(newConfiguration.policy, at: now)
                ledger.track(newConfiguration.policy.sites.map(\.name))
                heartbeatsChanged = true
                logger.info("configuration reloaded", metadata: ["sites": "\(newConfiguration.policy.sites.count)",
                                                                 "vms": "\(newConfiguration.policy.vms.count)"])
            }
        }
        await perform(actions)
        if heartbeatsChanged || actions.contains(where: \.changesHeartbeats) { ledger.updateGauges(core.heartbeatedHosts) }
        armTimer()
    }

    /// Carries out a batch's actions: the data plane and the notices at once, in order;
    /// the binding changes go to the commit queue with the replies that announce them,
    /// which are sent only once the changes are durable.
    private func perform(_ actions: [HomeAgentAction]) async {
        var commit = CommitQueue.Commit(changes: [:], preparations: [:], replies: [])
        for action in actions {
            do {
                switch action {
                case .persist(let binding):
                    commit.changes[binding.vm] = .some(binding)
                case .unpersist(let vm):
                    commit.changes[vm] = .some(nil)
                case .persistPreparation(let preparation):
                    commit.preparations[preparation.site.vm] = .some(preparation)
                case .unpersistPreparation(let vm):
                    commit.preparations[vm] = .some(nil)
                case .persistRevocation(let revocation):
                    commit.revocations[revocation.key] = .some(revocation)
                case .unpersistRevocation(let key):
                    commit.revocations[key] = .some(nil)
                case .attach(let vm):
                    try await dataPlane?.attach(vm)
                case .move(let vm):
                    try await dataPlane?.move(vm)
                case .detach(let vm):
                    try await dataPlane?.detach(vm)
                case .prepare(let site):
                    try await dataPlane?.prepare(site)
                case .unprepare(let site):
                    try await dataPlane?.unprepare(site)
                case .send(let bytes, let to, let port):
                    commit.replies.append((bytes, to, port))
                case .notice(let notice):
                    reporter.report(notice)
                    let now = Self.now()
                    ledger.record(notice, policy: core.policy, at: now)
                    if let event = notice.controlEvent(at: now, siteName: { [policy = core.policy] in policy.site(at: $0)?.name }) {
                        events.publish(event)
                    }
                }
            } catch {
                logger.error("data plane change failed", metadata: ["action": "\(action)", "error": "\(error)"])
            }
        }
        if !commit.changes.isEmpty || !commit.preparations.isEmpty || !commit.revocations.isEmpty || !commit.replies.isEmpty {
            commits.submit(commit)
        }
    }

    private func armTimer() {
        let inbox = self.inbox
        alarm.arm(for: core.nextDeadline, now: Self.now) { inbox.submit(.event(.timer)) }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
