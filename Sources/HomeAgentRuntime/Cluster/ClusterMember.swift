import AgentRuntime
import Crypto
import Etcd
import Foundation
import GLMControl
import GLMWire
import HomeAgentCore
import Logging
import Metrics
import NIOCore
import NIOPosix

/// A home agent as one member of a cluster on etcd: it holds a lease, hears and tells
/// its peers with member heartbeats, and serves the cluster (the service address, its
/// bindings and their data plane) exactly while ``ClusterMembership`` says it may.
///
/// Three loops feed the membership: the lease's renewal with a read of the owner key
/// (every `renew-interval-ms`), the member heartbeats (every `heartbeat-interval-ms`),
/// and the decisions (every 10 ms), which start and stop terms, campaign for the owner
/// key and end a silent owner's lease. A clean stop revokes this member's lease, so a
/// peer takes over W + M after its last heartbeat instead of after the lease's TTL.
public actor ClusterMember {
    public let settings: ClusterSettings
    /// The daemon of the term being served, for the control socket and the LAN watcher.
    public nonisolated let slot = DaemonSlot()
    private var configuration: HomeAgentConfiguration
    private var membership: ClusterMembership
    private let client: EtcdClient
    private let keys: ClusterKeys
    private let logger: Logger
    private let makeDataPlane: @Sendable () -> (any HomeDataPlane)?
    private let address: AddressClaim
    private let key: SymmetricKey
    private var term: ServingTerm?
    private var link: SignalingChannel?
    private var replayGuard = HeartbeatReplayGuard()
    private let incarnation = UInt64.random(in: 1...UInt64.max)
    private var sequence: UInt64 = 0
    private var ownerRecord: OwnerRecord?
    private var storeWasReachable = true
    private var lastRenewal: Double?
    private var refusedHeartbeats = 0
    /// The sentAt of the latest heartbeat accepted from each peer, echoed back to it.
    private var heardSentAt: [String: UInt64] = [:]
    private let stopRequest = AsyncStream<Void>.makeStream()
    private let metrics = ClusterMetrics()
    /// What `glmctl watch` follows: the events of every term this member serves.
    public nonisolated let events = ControlEventFeed()
    private let mirror: BindingMirror

    public init(configuration: HomeAgentConfiguration, client: EtcdClient, logger: Logger,
                makeDataPlane: @escaping @Sendable () -> (any HomeDataPlane)?) {
        let settings = configuration.cluster!
        self.settings = settings
        self.configuration = configuration
        self.membership = ClusterMembership(member: settings.member, peers: settings.peers.map(\.name), timing: settings.timing)
        self.client = client
        self.keys = ClusterKeys(cluster: settings.name)
        self.logger = logger
        self.makeDataPlane = makeDataPlane
        self.address = AddressClaim(address: configuration.policy.address, prefixLength: Int(settings.servicePrefixLength),
                                    interface: settings.serviceInterface,
                                    journal: configuration.networkJournal + ".service", logger: logger)
        self.key = SymmetricKey(data: settings.key)
        self.mirror = BindingMirror(client: client, keys: keys, logger: logger)
    }

    /// Ends ``run()``: serving stops, and the lease is revoked so that a peer takes over soon.
    public nonisolated func shutdown() {
        stopRequest.continuation.finish()
    }

    /// A new configuration (SIGHUP): the serving daemon takes it now, later terms start with it.
    public func reload(_ newConfiguration: HomeAgentConfiguration) {
        configuration = newConfiguration
        slot.submit(.reload(newConfiguration))
    }

    /// Runs the member until ``shutdown()``.
    public func run() async throws {
        // A member killed while it served left the service address, and the ARP answers
        // and routes of its VMs: a standby must answer for nothing.
        try address.recover()
        let leftover = NetworkConfigurator(journal: configuration.networkJournal, logger: logger)
        let (undone, _) = try leftover.recover()
        if undone > 0 {
            logger.warning("undid the data plane a killed home agent left", metadata: ["changes": "\(undone)"])
        }
        _ = leftover.teardown()
        let me = settings.me
        link = try await SignalingChannel.bind(address: me.address, port: settings.peerPort,
                                               group: MultiThreadedEventLoopGroup.singleton) { [weak self] datagram in
            guard let self else { return }
            Task { await self.received(datagram) }
        }
        logger.info("cluster member started", metadata: [
            "cluster": "\(settings.name)", "member": "\(settings.member)", "peers": "\(settings.peers.map(\.name))",
            "service_address": "\(configuration.policy.address)", "etcd": "\(client.configuration.endpoints)"])
        ServiceManagerNotice.ready(status: "member \(settings.member) of cluster \(settings.name), standby")
        let stopped = stopRequest.stream
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.leaseLoop() }
            group.addTask { await self.heartbeatLoop() }
            group.addTask { await self.decisionLoop() }
            group.addTask { await self.mirror.run() }
            group.addTask { for await _ in stopped {} }
            await group.next()
            group.cancelAll()
        }
        await stopServing(reason: "the home agent is stopping")
        if let lease = membership.lease {
            do {
                try await client.revoke(lease, timeout: .milliseconds(500))
                logger.info("lease revoked: a peer may take over now", metadata: ["lease": "\(lease)"])
            } catch {
                logger.warning("lease not revoked; a peer takes over when it expires", metadata: ["error": "\(error)"])
            }
        }
        await link?.close()
        link = nil
        await client.shutdown()
        logger.info("cluster member stopped", metadata: ["member": "\(settings.member)"])
    }

    // MARK: The lease and the owner key

    private func leaseLoop() async {
        while !Task.isCancelled {
            let started = Self.now()
            await renew(sentAt: started)
            await readOwner()
            let next = started + settings.renewInterval
            try? await Task.sleep(for: .seconds(max(0, next - Self.now())))
        }
    }

    private func renew(sentAt: Double) async {
        let deadline = Duration.seconds(settings.renewInterval * 1.5)
        do {
            if let lease = membership.lease {
                let ttl = try await client.keepAlive(lease, timeout: deadline)
                if ttl > 0 {
                    membership.renewed(sentAt: sentAt)
                    metrics.renewal.recordSeconds(Self.now() - sentAt)
                } else {
                    membership.leaseLost()
                    metrics.leasesLost.increment()
                    logger.warning("this member's lease ended in etcd (expired or revoked by a peer)", metadata: ["lease": "\(lease)"])
                }
            } else {
                let lease = try await client.grantLease(ttl: settings.leaseTTL, timeout: deadline)
                membership.leaseGranted(lease.id, at: sentAt)
                let record = try JSONEncoder().encode(OwnerRecord(member: settings.member, peerAddress: settings.me.address.description,
                                                                  since: sentAt))
                try await client.put(keys.member(settings.member), Array(record), lease: lease.id, timeout: deadline)
                logger.info("lease granted", metadata: ["lease": "\(lease.id)", "ttl_s": "\(lease.ttl)"])
            }
            lastRenewal = sentAt
            noteStore(reachable: true)
        } catch {
            noteStore(reachable: false, error)
        }
    }

    private func readOwner() async {
        do {
            let kv = try await client.get(keys.owner, timeout: .seconds(settings.renewInterval * 1.5))
            if let kv {
                let record = try JSONDecoder().decode(OwnerRecord.self, from: Data(kv.value))
                ownerRecord = record
                membership.ownerRead(.init(member: record.member, term: kv.createRevision, lease: kv.lease), at: Self.now())
            } else {
                ownerRecord = nil
                membership.ownerRead(nil, at: Self.now())
            }
        } catch {
            noteStore(reachable: false, error)
        }
    }

    private func noteStore(reachable: Bool, _ error: (any Error)? = nil) {
        defer { storeWasReachable = reachable }
        metrics.storeReachable.record(reachable ? 1 : 0)
        if reachable, !storeWasReachable {
            logger.notice("etcd reachable again", metadata: ["endpoint": "\(client.currentEndpoint)"])
        } else if !reachable, storeWasReachable {
            logger.warning("etcd unreachable: serving goes on only while no peer can take over", metadata: [
                "error": "\(error.map { "\($0)" } ?? "")", "serve_window_ms": "\(Int(settings.timing.serveWindow * 1000))"])
        }
    }

    // MARK: Member heartbeats

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            sendHeartbeats()
            let now = Self.now()
            for peer in settings.peers {
                let heard = membership.peerViews[peer.name].map { now - $0.lastHeard < settings.timing.silenceLimit } ?? false
                metrics.peerUp(peer.name).record(heard ? 1 : 0)
            }
            try? await Task.sleep(for: .seconds(settings.heartbeatInterval))
        }
    }

    private func sendHeartbeats() {
        guard let link else { return }
        let flags = membership.heartbeatFlags(at: Self.now())
        sequence += 1
        let sentAt = Self.milliseconds()
        var batch: [(bytes: ByteBuffer, to: IPv4Address, port: UInt16)] = []
        for peer in settings.peers {
            // The configuration checked the name against the heartbeat's rules.
            guard let heartbeat = try? MemberHeartbeat(member: settings.member, serving: flags.serving,
                                                       storeReachable: flags.storeReachable, incarnation: incarnation,
                                                       sequence: sequence, sentAt: sentAt,
                                                       echo: heardSentAt[peer.name] ?? 0) else { return }
            batch.append((ByteBuffer(bytes: heartbeat.encoded(key: key)), peer.address, settings.peerPort))
        }
        link.send(batch: batch)
    }

    private func received(_ datagram: SignalingChannel.Datagram) {
        let heartbeat: MemberHeartbeat
        do {
            heartbeat = try MemberHeartbeat(decoding: datagram.bytes, key: key)
        } catch {
            refuse("\(error.code)", from: datagram.from, detail: "\(error)")
            return
        }
        guard let peer = settings.peers.first(where: { $0.name == heartbeat.member }) else {
            refuse("unknown-member", from: datagram.from, detail: heartbeat.member)
            return
        }
        guard peer.address == datagram.from else {
            refuse("wrong-address", from: datagram.from, detail: "\(heartbeat.member) is at \(peer.address)")
            return
        }
        switch replayGuard.admit(heartbeat, now: Self.milliseconds()) {
        case .accepted:
            heardSentAt[heartbeat.member] = heartbeat.sentAt
            let echo = heartbeat.echo == 0 ? nil : Double(heartbeat.echo) / 1000
            membership.heard(heartbeat.member, serving: heartbeat.serving, storeReachable: heartbeat.storeReachable,
                             echo: echo, at: Self.now())
        case .stale:
            refuse("stale", from: datagram.from, detail: heartbeat.member)
        case .replayed:
            refuse("replayed", from: datagram.from, detail: heartbeat.member)
        }
    }

    private func refuse(_ reason: String, from address: IPv4Address, detail: String) {
        metrics.refused(reason).increment()
        refusedHeartbeats += 1
        logger.debug("member heartbeat refused", metadata: ["reason": "\(reason)", "from": "\(address)", "detail": "\(detail)"])
    }

    // MARK: Decisions

    private func decisionLoop() async {
        while !Task.isCancelled {
            if let term, let reason = term.ended {
                logger.error("the serving home agent ended by itself; this member steps down", metadata: ["reason": "\(reason)"])
                await stopServing(reason: reason)
                membership.stoppedServing()
                await resign(term: term.term)
            }
            for decision in membership.decide(at: Self.now()) {
                await carryOut(decision)
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func carryOut(_ decision: ClusterMembership.Decision) async {
        switch decision {
        case .serve(let term):
            await startServing(term: term)
        case .stop(let reason):
            await stopServing(reason: reason)
        case .campaign:
            await campaign()
        case .revoke(let lease, let member, let reason):
            do {
                try await client.revoke(lease, timeout: .seconds(settings.renewInterval * 1.5))
                membership.revoked(lease, at: Self.now())
                metrics.revocations.increment()
                logger.warning("ended the lease of the cluster's owner", metadata: ["owner": "\(member)", "reason": "\(reason)"])
            } catch {
                noteStore(reachable: false, error)
            }
        }
    }

    private func campaign() async {
        guard let lease = membership.lease else { return }
        do {
            let record = try JSONEncoder().encode(OwnerRecord(member: settings.member, peerAddress: settings.me.address.description,
                                                              since: Date().timeIntervalSince1970))
            let result = try await client.transaction(Transaction(
                compare: [.createRevision(keys.owner, .equal, 0)],
                success: [.put(keys.owner, Array(record), lease: lease)],
                failure: [.get(keys.owner)]), timeout: .seconds(settings.renewInterval * 1.5))
            if result.succeeded {
                logger.notice("this member owns the cluster now", metadata: ["term": "\(result.revision)"])
                membership.ownerRead(.init(member: settings.member, term: result.revision, lease: lease), at: Self.now())
            } else if let kv = result.reads.first?.first, let holder = try? JSONDecoder().decode(OwnerRecord.self, from: Data(kv.value)) {
                membership.ownerRead(.init(member: holder.member, term: kv.createRevision, lease: kv.lease), at: Self.now())
            }
        } catch {
            noteStore(reachable: false, error)
        }
    }

    private func startServing(term: Int64) async {
        let started = Self.now()
        // The mirror holds the bindings of the term's start once its watch has passed the
        // owner key's creation; else (a lagging watch) the daemon reads etcd.
        let mirrored = await mirror.bindings(asOf: term, timeout: .milliseconds(500))
        if mirrored == nil {
            logger.notice("the binding mirror has not reached the term yet; reading every binding from etcd", metadata: ["term": "\(term)"])
        }
        let store = EtcdBindingStore(client: client, keys: keys, term: term, bindingsAtStart: mirrored)
        do {
            let serving = try await ServingTerm.start(
                term: term, configuration: configuration, store: store, dataPlane: makeDataPlane(), address: address,
                logger: logger, events: events) { [weak self] lost in
                    guard let self else { return }
                    Task { await self.ownershipLost(lost) }
                }
            self.term = serving
            slot.daemon = serving.daemon
            metrics.serving.record(1)
            metrics.terms.increment()
            let bindings = await serving.daemon.bindings().count
            logger.notice("serving the cluster", metadata: [
                "term": "\(term)", "address": "\(configuration.policy.address)", "bindings": "\(bindings)",
                "restored_from": "\(mirrored == nil ? "etcd" : "mirror")",
                "start_ms": "\(Int((Self.now() - started) * 1000))"])
        } catch {
            logger.error("could not serve the cluster; stepping down", metadata: ["term": "\(term)", "error": "\(error)"])
            membership.stoppedServing()
            await resign(term: term)
        }
    }

    private func stopServing(reason: String) async {
        guard let term else { return }
        let started = Self.now()
        slot.daemon = nil
        await term.stop()
        self.term = nil
        metrics.serving.record(0)
        ServiceManagerNotice.status("member \(settings.member) of cluster \(settings.name), standby (\(reason))")
        logger.warning("stopped serving the cluster", metadata: [
            "term": "\(term.term)", "reason": "\(reason)", "stop_ms": "\(Int((Self.now() - started) * 1000))"])
    }

    /// Gives the owner key up (when this member's term could not serve), so a peer takes over.
    private func resign(term: Int64) async {
        _ = try? await client.transaction(Transaction(compare: [.createRevision(keys.owner, .equal, term)],
                                                      success: [.delete(keys.owner)]),
                                          timeout: .seconds(settings.renewInterval * 1.5))
    }

    private func ownershipLost(_ lost: OwnershipLost) async {
        logger.warning("a commit was refused: another member owns the cluster", metadata: ["detail": "\(lost)"])
        await readOwner()
        for decision in membership.decide(at: Self.now()) {
            await carryOut(decision)
        }
    }

    // MARK: Status

    /// What `glmctl status` shows of the cluster.
    public func status() async -> ClusterStatus {
        let now = Self.now()
        return ClusterStatus(
            cluster: settings.name, member: settings.member, serving: term != nil, term: term?.term,
            owner: ownerRecord?.member, lease: membership.lease,
            etcdReachable: membership.storeReachable(at: now),
            lastRenewalMillisecondsAgo: lastRenewal.map { Int((now - $0) * 1000) },
            etcdEndpoint: client.currentEndpoint,
            refusedHeartbeats: refusedHeartbeats,
            replicatedBindings: await mirror.count,
            peers: settings.peers.map { peer in
                let view = membership.peerViews[peer.name]
                return ClusterStatus.Peer(
                    name: peer.name, address: peer.address.description,
                    up: view.map { now - $0.lastHeard < settings.timing.silenceLimit } ?? false,
                    lastHeardMillisecondsAgo: view.map { Int((now - $0.lastHeard) * 1000) },
                    serving: view?.serving ?? false, etcdReachable: view?.storeReachable ?? false)
            })
    }

    /// The bindings as etcd holds them, from the watch that follows them.
    public func replicatedBindings() async -> [Binding] {
        await mirror.snapshot
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
    static func milliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
