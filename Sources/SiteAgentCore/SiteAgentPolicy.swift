import GLMWire

/// A home agent this site registers VMs with: its address, the association its
/// messages are signed with, and the VMs it serves.
public struct HomeAgentPeer: Sendable {
    public var name: String
    public var address: IPv4Address
    public var port: UInt16
    public var association: SecurityAssociation
    /// The MACs of VMs this home agent is known to anchor: optional; the anchor of any
    /// other VM is learnt by asking every home agent.
    public var vms: Set<MACAddress>

    public init(name: String, address: IPv4Address, port: UInt16 = 5436, association: SecurityAssociation,
                vms: Set<MACAddress> = []) {
        self.name = name
        self.address = address
        self.port = port
        self.association = association
        self.vms = vms
    }
}

/// The site agent's timers, in seconds.
public struct SiteAgentTimers: Hashable, Sendable {
    /// The WAN round trip expected to the home agents before one is measured. The first
    /// retransmission waits three of them (RFC 6298's RTO with RTTVAR = RTT / 2).
    public var expectedRoundTrip: Double = 0.010
    /// The shortest retransmission timeout, whatever the measured round trip.
    public var minimumRetransmission: Double = 0.010
    /// RFC 6275 §12 MAX_BINDACK_TIMEOUT.
    public var maximumRetransmission: Double = 32
    /// Lifetime asked for in PBUs.
    public var requestedLifetime: Double = 300
    /// A binding is refreshed when this fraction of its lifetime has passed.
    public var refreshFraction: Double = 0.8
    /// Announces from a VM within this time of its registration belong to the same
    /// migration (QEMU sends five over 800 ms) and are not registered again.
    public var announceSettling: Double = 2.0
    /// After a refusal that retrying cannot cure, wait this long before trying again.
    public var refusedRetry: Double = 60
    /// Lifetime asked for in a preparation's PBU: how long the destination waits for the
    /// VM after `incoming` before it gives the preparation up.
    public var preparationLifetime: Double = 60
    public var heartbeatInterval: Double = 60
    public var missingHeartbeatsAllowed: Int = 3

    public init() {}
}

/// What the site agent's core needs to decide: its own address, the federation's home
/// agents (and which one is this site's own), and the timers.
public struct SiteAgentPolicy: Sendable {
    /// This site agent's signaling address (the source of its PBUs).
    public var address: IPv4Address
    public private(set) var homeAgents: [HomeAgentPeer]
    public var timers: SiteAgentTimers
    /// The home agent of the site this host belongs to, if it has one: the VMs it anchors
    /// are at home here.
    public private(set) var localHomeAgent: IPv4Address?

    private var byAddress: [IPv4Address: Int] = [:]
    private var byVM: [MACAddress: Int] = [:]

    public struct Conflict: Error, Hashable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// `localHomeAgent` names the home agent of this host's own site.
    public init(address: IPv4Address, homeAgents: [HomeAgentPeer], localHomeAgent: String? = nil,
                timers: SiteAgentTimers = SiteAgentTimers()) throws(Conflict) {
        self.address = address
        self.homeAgents = homeAgents
        self.timers = timers
        if let localHomeAgent {
            guard let local = homeAgents.first(where: { $0.name == localHomeAgent }) else {
                throw Conflict(reason: "the local home agent \(localHomeAgent) is not among the home agents")
            }
            self.localHomeAgent = local.address
        }
        for (index, peer) in homeAgents.enumerated() {
            guard byAddress.updateValue(index, forKey: peer.address) == nil else {
                throw Conflict(reason: "home agent \(peer.name) has the address of another")
            }
            for vm in peer.vms {
                guard byVM.updateValue(index, forKey: vm) == nil else {
                    throw Conflict(reason: "VM \(vm) is served by two home agents")
                }
            }
        }
    }

    public func homeAgent(at address: IPv4Address) -> HomeAgentPeer? { byAddress[address].map { homeAgents[$0] } }
    public func homeAgent(serving vm: MACAddress) -> HomeAgentPeer? { byVM[vm].map { homeAgents[$0] } }
    public var associations: SecurityAssociations { SecurityAssociations(homeAgents.map(\.association)) }
}
