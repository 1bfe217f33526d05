import AgentRuntime
import Foundation
import GLMControl
import GLMWire
import Logging
import Metrics
import NIOCore
import NIOPosix
import SiteAgentCore

/// The running site agent: the protocol core fed from the signaling socket, the bridges'
/// captures, the control socket and the clock, its actions carried out in order.
///
/// Inputs that arrive while a batch is being handled wait in an inbox and form the next
/// batch; the batch's datagrams go out together once its data-plane changes are made
/// (a BRA leaves after the VM is no longer served).
public actor SiteAgentDaemon {
    /// What the inbox carries: the core's events, and reloaded configurations.
    enum Input: Sendable {
        case event(SiteAgentEvent)
        case reload(SiteAgentConfiguration)
    }

    var core: SiteAgentCore
    private var configuration: SiteAgentConfiguration
    private let dataPlane: (any SiteDataPlane)?
    private let reporter: SiteNoticeReporter
    private let logger: Logger
    private let group: EventLoopGroup
    private let inbox = EventInbox<Input>()
    private var channel: SignalingChannel?
    private var alarm = DeadlineAlarm()
    private let servedGauge = Gauge(label: "glm_site_served_vms")
    private let processing = Metrics.Timer(label: "glm_site_processing_seconds")
    private let drainingGauge = Gauge(label: "glm_site_draining")
    var ledger: PeerLedger
    /// Arrivals are refused (``setDraining(_:)``).
    public private(set) var draining = false
    /// What `glmctl watch` follows.
    public nonisolated let events = ControlEventFeed()

    /// Nothing is bound until ``run()``. Without a data plane the daemon signals only:
    /// VMs are registered and tracked, not served.
    public init(configuration: SiteAgentConfiguration, dataPlane: (any SiteDataPlane)?, logger: Logger,
                group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.dataPlane = dataPlane
        self.logger = logger
        self.reporter = SiteNoticeReporter(logger: logger)
        self.group = group
        self.core = SiteAgentCore(policy: configuration.policy, now: Self.now())
        self.ledger = .homeAgents(configuration.policy)
        drainingGauge.record(0)
    }

    /// Hands an event to the daemon: a captured frame, `arrived`, `departed`, `present`.
    /// Events are handled in the order given.
    public nonisolated func submit(_ event: SiteAgentEvent) {
        inbox.submit(.event(event))
    }

    /// Hands the daemon a reloaded configuration (SIGHUP). The home agents, their keys and
    /// VMs, and the timers take effect at once; what is bound or created at start (the
    /// address and port, bridges, tunnel, control socket, metrics, log level) needs a
    /// restart and is kept as it is, with a warning naming it.
    public nonisolated func reload(_ configuration: SiteAgentConfiguration) {
        inbox.submit(.reload(configuration))
    }

    /// Ends ``run()``: the socket closes and the data plane is undone.
    public nonisolated func shutdown() {
        inbox.finish()
    }

    /// Where each VM known here stands.
    public func states() -> [MACAddress: SiteAgentCore.State] { core.states }

    /// The VMs served here, by MAC.
    public func served() -> [ServedVM] { core.served }

    /// The name of the home agent that anchors `vm`, if one is configured.
    public func homeAgentName(of vm: MACAddress) -> String? { core.anchor(of: vm)?.name }

    /// Why home agents refused the VMs they refused, by home agent name.
    public func refusals() -> [MACAddress: [String: BindingAcknowledgementStatus]] { core.refusals }

    /// Starts or ends a drain: while it lasts, `notify arrived|incoming` are refused (a
    /// libvirt hook then aborts the incoming migration); the VMs here stay served until
    /// they leave, each deregistered as it goes.
    public func setDraining(_ on: Bool) {
        guard on != draining else { return }
        draining = on
        drainingGauge.record(on ? 1 : 0)
        let served = core.served.count
        if on {
            logger.warning("draining: arrivals are refused until undrained", metadata: ["served": "\(served)"])
        } else {
            logger.notice("drain ended: arrivals are accepted again", metadata: ["served": "\(served)"])
        }
        events.publish(ControlEvent(time: Self.now(), kind: .drain,
                                    detail: on ? "draining: arrivals refused, \(served) VMs served here" : "drain ended: arrivals accepted"))
    }

    /// The UDP port the signaling socket is bound to; nil before it is.
    public func signalingPort() -> UInt16? { channel?.port }

    /// Binds the socket and runs until ``shutdown()`` or cancellation; then closes the
    /// socket and undoes the data plane.
    public func run() async throws {
        if let dataPlane { try await dataPlane.start() }
        let inbox = self.inbox
        channel = try await SignalingChannel.bind(
            address: configuration.policy.address, port: configuration.listenPort, group: group) { datagram in
            inbox.submit(.event(.datagram(datagram.bytes, from: datagram.from, port: datagram.port)))
        }
        logger.info("site agent started", metadata: [
            "address": "\(configuration.policy.address)", "port": "\(configuration.listenPort)",
            "home_agents": "\(configuration.policy.homeAgents.count)", "data_plane": "\(dataPlane != nil)"])
        ServiceManagerNotice.ready(status: "serving; \(configuration.policy.homeAgents.count) home agents")
        armTimer()
        await inbox.drain { batch in await self.handle(batch) }
        ServiceManagerNotice.stopping()
        alarm.cancel()
        await channel?.close()
        channel = nil
        if let dataPlane { await dataPlane.stop() }
        logger.info("site agent stopped", metadata: ["served": "\(core.served.count)"])
    }

    private func handle(_ batch: [Input]) async {
        let started = ContinuousClock.now
        var actions: [SiteAgentAction] = []
        // Heartbeats change state at a timer (a peer unreachable), at a response (a
        // notice) and at a reload (peers replaced): the gauges are set then.
        var heartbeatsChanged = false
        for input in batch {
            switch input {
            case .event(let event):
                if case .timer = event {
                    alarm.fired()
                    heartbeatsChanged = true
                }
                actions += core.handle(event, at: Self.now())
            case .reload(let newConfiguration):
                actions += reload(newConfiguration)
                heartbeatsChanged = true
            }
        }
        await perform(actions)
        armTimer()
        servedGauge.record(core.served.count)
        if heartbeatsChanged || actions.contains(where: \.changesHeartbeats) { ledger.updateGauges(core.homeAgentHeartbeats) }
        let elapsed = ContinuousClock.now - started
        processing.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Carries out a batch's actions in order; its datagrams leave together at the end.
    private func perform(_ actions: [SiteAgentAction]) async {
        var datagrams: [(bytes: ByteBuffer, to: IPv4Address, port: UInt16)] = []
        for action in actions {
            do {
                switch action {
                case .send(let bytes, let to, let port):
                    datagrams.append((bytes, to, port))
                case .serve(let vm):
                    try await dataPlane?.serve(vm)
                case .unserve(let vm):
                    try await dataPlane?.unserve(vm)
                case .answerARP(let answer):
                    try dataPlane?.answer(answer)
                case .claim(let vm, let bridge):
                    try dataPlane?.claim(vm, bridge: bridge)
                case .notice(let notice):
                    reporter.report(notice)
                    let now = Self.now()
                    ledger.record(notice, policy: core.policy, at: now)
                    if let event = notice.controlEvent(at: now, homeAgentName: { [policy = core.policy] in policy.homeAgent(at: $0)?.name }) {
                        events.publish(event)
                    }
                }
            } catch {
                logger.error("data plane change failed", metadata: ["action": "\(action)", "error": "\(error)"])
            }
        }
        channel?.send(batch: datagrams)
    }

    private func armTimer() {
        let inbox = self.inbox
        alarm.arm(for: core.nextDeadline, now: Self.now) { inbox.submit(.event(.timer)) }
    }

    private func reload(_ newConfiguration: SiteAgentConfiguration) -> [SiteAgentAction] {
        let kept = configuration.restartOnlyDifferences(from: newConfiguration)
        if !kept.isEmpty {
            logger.warning("configuration keys that need a restart were kept as they are",
                           metadata: ["keys": "\(kept.joined(separator: ", "))"])
        }
        var policy = newConfiguration.policy
        policy.address = configuration.policy.address
        configuration.policy = policy
        ledger.track(policy.homeAgents.map(\.name))
        logger.info("configuration reloaded", metadata: ["home_agents": "\(policy.homeAgents.count)",
                                                         "vms": "\(policy.homeAgents.map(\.vms.count).reduce(0, +))"])
        return core.reload(policy, at: Self.now())
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}
