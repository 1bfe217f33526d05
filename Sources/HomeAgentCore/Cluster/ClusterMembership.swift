/// What one member of a home agents' cluster knows about its lease, the cluster's
/// owner and its peers, and what it decides from that: serve, stop, take over, or end
/// a silent owner's lease. Sans-I/O: the runtime reports what it saw with its time,
/// asks ``decide(at:)``, and carries out the decisions.
///
/// The rules, with W the serve window, D the silence limit and M the margin:
/// * A member serves only while it owns the cluster (etcd's `owner` key holds its name
///   under its lease) and it renewed its lease less than W ago. When etcd cannot be
///   reached it serves on only while every peer has echoed, in its own heartbeat, one of
///   this member's heartbeats sent less than W ago (a peer that still hears the owner
///   serve does not take over, below), and every peer says it cannot reach etcd either:
///   an outage of etcd drops no VM, and a member cut off from etcd alone hands over
///   (4 W after its last renewal: its peers' word lags by up to W, and an election of
///   etcd's leader holds renewals up).
/// * A member takes over only when etcd says nobody owns the cluster, it reaches etcd
///   itself, and at least W + M have passed since the last time a peer said it served,
///   since its own last word that etcd was out of reach, and since it ended the former
///   owner's lease. By then the former owner has stopped: it renewed (if at all)
///   before its lease was ended, and stops W after its last renewal.
/// * A member ends the owner's lease (the owner key goes with it) when the owner has
///   been silent for D, or has said for 2 D that it cannot reach etcd (counted from when
///   this member itself reached etcd again), or for 4 D that it does not serve. A partition between members alone can cause a takeover, never two
///   members serving at once.
public struct ClusterMembership: Sendable {
    public struct Timing: Sendable, Equatable {
        /// W: how long after its last lease renewal a member may serve.
        public var serveWindow: Double
        /// D: how long an owner may be silent, or unable to reach etcd, before its lease is ended.
        public var silenceLimit: Double
        /// M: allowance for a heartbeat's time on the way and the members' clock rates.
        public var margin: Double

        public init(serveWindow: Double = 0.3, silenceLimit: Double = 0.2, margin: Double = 0.1) {
            self.serveWindow = serveWindow
            self.silenceLimit = silenceLimit
            self.margin = margin
        }
    }

    /// Who owns the cluster: the member, its term (the owner key's creation revision)
    /// and the lease the key is attached to.
    public struct Owner: Sendable, Equatable {
        public var member: String
        public var term: Int64
        public var lease: Int64

        public init(member: String, term: Int64, lease: Int64) {
            self.member = member
            self.term = term
            self.lease = lease
        }
    }

    /// What the member's peers last said, and since when.
    public struct PeerView: Sendable, Equatable {
        public var lastHeard: Double
        public var serving: Bool
        public var storeReachable: Bool
        /// Since when it has said it cannot reach etcd; nil while it can.
        public var unreachableSince: Double?
        /// Since when it has said it does not serve; nil while it does.
        public var idleSince: Double?
        /// Since when it has said it reaches etcd; nil while it does not.
        public var reachableSince: Double?
        /// The last time it said it served.
        public var lastServing: Double?
        /// When this member sent the latest of its own heartbeats the peer says it heard
        /// (this member's clock); nil until it echoes one.
        public var echo: Double?
    }

    public enum Decision: Sendable, Equatable {
        /// Take the service address, restore the bindings and serve, fenced by `term`.
        case serve(term: Int64)
        /// Stop serving at once: drop the address, answer and tunnel nothing.
        case stop(reason: String)
        /// Try to create the owner key under this member's lease.
        case campaign
        /// End the lease of `member`, the owner, which looks gone.
        case revoke(lease: Int64, member: String, reason: String)
    }

    public let member: String
    public let peers: [String]
    public let timing: Timing
    /// This member's lease, while it has one.
    public private(set) var lease: Int64?
    /// When the last successful renewal of the lease was sent.
    public private(set) var renewedAt: Double?
    /// The owner as last read from etcd; `ownerKnown` is false until a first read.
    public private(set) var owner: Owner?
    public private(set) var ownerKnown = false
    public private(set) var peerViews: [String: PeerView] = [:]
    /// The term this member serves, while it serves.
    public private(set) var servingTerm: Int64?
    private var claimedUnreachableAt: Double?
    /// When this member got its first lease: peers unheard of since then are silent.
    private var joinedAt: Double?
    /// Since when this member has renewed in time, without a gap longer than W.
    private var reachableSince: Double?
    private var revokedAt: Double?
    private var revokedLease: Int64?

    public init(member: String, peers: [String], timing: Timing = Timing()) {
        self.member = member
        self.peers = peers.filter { $0 != member }
        self.timing = timing
    }

    public var isServing: Bool { servingTerm != nil }

    // MARK: What the runtime saw

    /// etcd granted this member a new lease.
    public mutating func leaseGranted(_ lease: Int64, at now: Double) {
        self.lease = lease
        renewedAt = now
        joinedAt = joinedAt ?? now
        reachableSince = now
    }

    /// A renewal sent at `sentAt` succeeded.
    public mutating func renewed(sentAt: Double) {
        guard lease != nil else { return }
        if let renewedAt, sentAt - renewedAt >= timing.serveWindow { reachableSince = sentAt }
        if renewedAt == nil { reachableSince = sentAt }
        renewedAt = max(renewedAt ?? sentAt, sentAt)
    }

    /// etcd said the lease no longer exists: whatever it held is gone.
    public mutating func leaseLost() {
        lease = nil
        renewedAt = nil
    }

    /// The owner key as read at `now` (nil: nobody owns the cluster).
    public mutating func ownerRead(_ owner: Owner?, at now: Double) {
        self.owner = owner
        ownerKnown = true
    }

    /// A peer's heartbeat arrived; `echo` is the send time (this member's clock) of the
    /// latest heartbeat of this member's that the peer heard, when it heard one.
    public mutating func heard(_ peer: String, serving: Bool, storeReachable: Bool, echo: Double? = nil, at now: Double) {
        guard peers.contains(peer) else { return }
        var view = peerViews[peer] ?? PeerView(lastHeard: now, serving: serving, storeReachable: storeReachable)
        if let echo, echo <= now { view.echo = max(view.echo ?? echo, echo) }
        view.lastHeard = now
        view.serving = serving
        view.storeReachable = storeReachable
        view.unreachableSince = storeReachable ? nil : (view.unreachableSince ?? now)
        view.reachableSince = storeReachable ? (peerViews[peer]?.reachableSince ?? now) : nil
        view.idleSince = serving ? nil : (view.idleSince ?? now)
        if serving { view.lastServing = now }
        peerViews[peer] = view
    }

    /// What this member's heartbeat says now; remembers saying that etcd is out of reach.
    public mutating func heartbeatFlags(at now: Double) -> (serving: Bool, storeReachable: Bool) {
        let reachable = storeReachable(at: now)
        if !reachable { claimedUnreachableAt = now }
        return (isServing, reachable)
    }

    /// The runtime ended the lease `lease` of a silent owner.
    public mutating func revoked(_ lease: Int64, at now: Double) {
        revokedAt = now
        revokedLease = lease
        if owner?.lease == lease { owner = nil }
    }

    /// Serving could not start (or broke): this member no longer serves.
    public mutating func stoppedServing() {
        servingTerm = nil
    }

    // MARK: What it decides

    /// Whether this member renewed its lease less than W ago.
    public func storeReachable(at now: Double) -> Bool {
        guard lease != nil, let renewedAt else { return false }
        return now - renewedAt < timing.serveWindow
    }

    /// Whether this member may serve now, were it the owner.
    public func mayServe(at now: Double) -> Bool {
        guard let lease, let owner, owner.member == member, owner.lease == lease else { return false }
        if storeReachable(at: now) { return true }
        guard let renewedAt, !peers.isEmpty else { return false }
        // Safe while every peer echoes a recent heartbeat: a peer that hears this member
        // serve does not take over.
        let echoed = peers.allSatisfy { peer in
            guard let echo = peerViews[peer]?.echo else { return false }
            return now - echo < timing.serveWindow
        }
        guard echoed else { return false }
        // Worth it only while no peer reaches etcd either (etcd itself is out); a member
        // cut off alone hands over, 4 W after its last renewal: long enough for the
        // peers' word (it lags by up to W) and for an election of etcd's leader, which
        // holds every renewal up for a while.
        // A peer that reached etcd again only lately (etcd back after an outage) gives
        // this member the same 4 W to renew before it hands over.
        let peersCutOff = peers.allSatisfy { peer in
            guard let view = peerViews[peer], view.storeReachable else { return true }
            return now - (view.reachableSince ?? now) < 4 * timing.serveWindow
        }
        return peersCutOff || now - renewedAt < 4 * timing.serveWindow
    }

    /// The earliest time this member may take over, given what it heard and said.
    public func earliestTakeover() -> Double {
        let lastServing = peerViews.values.compactMap(\.lastServing).max()
        let marks = [lastServing, claimedUnreachableAt, revokedAt].compactMap { $0 }
        return (marks.max() ?? -.infinity) + timing.serveWindow + timing.margin
    }

    /// What to do now.
    public mutating func decide(at now: Double) -> [Decision] {
        if let term = servingTerm {
            guard mayServe(at: now), owner?.term == term else {
                servingTerm = nil
                return [.stop(reason: stopReason(at: now))]
            }
            return []
        }
        if let owner, owner.member == member, let lease, owner.lease == lease, mayServe(at: now) {
            servingTerm = owner.term
            return [.serve(term: owner.term)]
        }
        guard storeReachable(at: now), ownerKnown else { return [] }
        guard let owner else {
            return now >= earliestTakeover() ? [.campaign] : []
        }
        guard owner.member != member, owner.lease != revokedLease else { return [] }
        let view = peerViews[owner.member]
        let silent = now - (view?.lastHeard ?? joinedAt ?? now) >= timing.silenceLimit
        if silent {
            return [.revoke(lease: owner.lease, member: owner.member, reason: "silent for \(Int(timing.silenceLimit * 1000)) ms or more")]
        }
        // An owner that cannot reach etcd while this member can: given 2 D from when both
        // could have (after an outage of etcd's own, the owner renews a moment later).
        if let since = view?.unreachableSince, let reachableSince, now - max(since, reachableSince) >= 2 * timing.silenceLimit {
            return [.revoke(lease: owner.lease, member: owner.member, reason: "cannot reach etcd")]
        }
        if let since = view?.idleSince, now - since >= 4 * timing.silenceLimit {
            return [.revoke(lease: owner.lease, member: owner.member, reason: "owns the cluster but does not serve")]
        }
        return []
    }

    private func stopReason(at now: Double) -> String {
        if lease == nil { return "this member's lease ended" }
        if owner?.member != member { return "the cluster is owned by \(owner?.member ?? "nobody") now" }
        if !storeReachable(at: now) { return "etcd unreachable for \(Int(timing.serveWindow * 1000)) ms and a peer may take over" }
        return "the term changed"
    }
}
