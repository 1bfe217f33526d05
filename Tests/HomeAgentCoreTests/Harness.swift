import GLMWire
import HomeAgentCore
import NIOCore
import PacketCapture
import Testing

/// A home agent core with its policy, and sites that talk to it as real site agents
/// would: signed messages, addresses and ports, wall-clock times.
struct Harness {
    static let home = IPv4Address(198, 18, 0, 2)
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let vmAddress = IPv4Address(10, 10, 0, 50)
    static let gateway = IPv4Address(10, 10, 0, 1)
    static let tenantVM = MACAddress(0x52, 0x54, 0x00, 0x00, 0x00, 0x77)
    static let start = 1_795_000_000.0

    struct Site {
        let name: String
        let address: IPv4Address
        let association: SecurityAssociation
        var port: UInt16 = 5436
        var sequence: UInt16 = 100

        var policy: SitePolicy { SitePolicy(name: name, address: address, association: association) }

        /// A signed PBU as a site agent sends it.
        mutating func update(_ vm: MACAddress = Harness.vm, at time: Double, lifetime: UInt16 = 75,
                             handoff: HandoffIndicator = .handoffBetweenMAGs, flags: ProxyBindingUpdate.Flags = [.acknowledge, .proxy],
                             options: [MobilityOption]? = nil, key: SecurityAssociation? = nil) -> ByteBuffer {
            sequence &+= 1
            let message = ProxyBindingUpdate(
                sequenceNumber: sequence, flags: flags, lifetimeUnits: lifetime,
                options: options ?? [.mobileNodeIdentifier(.eui48(vm)), .handoffIndicator(handoff), .accessTechnologyType(.virtual),
                                     .timestamp(PMIPTimestamp(secondsSince1970: time)!), .ipv4HomeAddressRequest(IPv4HomeAddressRequest())])
            return sign(.proxyBindingUpdate(message), key: key)
        }

        func sign(_ message: MobilityMessage, key: SecurityAssociation? = nil) -> ByteBuffer {
            let signer = MessageSigner(association: key ?? association, scope: AuthenticationScope(sender: address, receiver: Harness.home))
            return try! MobilityHeader.encode(message, signer: signer)
        }

        func event(_ bytes: ByteBuffer) -> HomeAgentEvent {
            .datagram(bytes, from: address, port: port, to: Harness.home)
        }
    }

    static func makeSite(_ name: String, _ last: UInt8, spi: UInt32) -> Site {
        Site(name: name, address: IPv4Address(198, 18, last, 2),
             association: SecurityAssociation(spi: spi, key: Array(repeating: last, count: 32))!)
    }

    var siteA = makeSite("site-a", 1, spi: 0x101)
    var siteB = makeSite("site-b", 2, spi: 0x102)
    var siteC = makeSite("site-c", 3, spi: 0x103)
    var stranger = makeSite("site-x", 9, spi: 0x109)
    var core: HomeAgentCore
    var timers = HomeAgentTimers()

    init(restartCounter: UInt32 = 1, timers: HomeAgentTimers = HomeAgentTimers()) {
        self.timers = timers
        self.core = HomeAgentCore(policy: Self.policy(sites: [siteA, siteB, siteC], timers: timers), restartCounter: restartCounter)
    }

    static func policy(sites: [Site], vms: [VMPolicy]? = nil, timers: HomeAgentTimers = HomeAgentTimers()) -> HomeAgentPolicy {
        try! HomeAgentPolicy(address: home, sites: sites.map(\.policy), vms: vms ?? [
            VMPolicy(mac: vm, nai: "vm-1@tenant.example", address: vmAddress, prefixLength: 24, gateway: gateway),
            VMPolicy(mac: tenantVM, address: IPv4Address(10, 10, 0, 77), prefixLength: 24, gateway: gateway,
                     greKey: 4097, allowedSites: ["site-a"]),
        ], timers: timers)
    }

    /// Feeds an event and returns the actions, firing due timers first.
    mutating func handle(_ event: HomeAgentEvent, at time: Double) -> [HomeAgentAction] {
        var actions = tick(at: time)
        actions += core.handle(event, at: time)
        return actions
    }

    /// Fires every timer due by `time`, as the runtime would, in order.
    mutating func tick(at time: Double) -> [HomeAgentAction] {
        var actions: [HomeAgentAction] = []
        while let deadline = core.nextDeadline, deadline <= time {
            actions += core.handle(.timer, at: deadline)
        }
        return actions
    }
}

/// What the actions say, decoded.
extension Array where Element == HomeAgentAction {
    /// The messages sent, decoded, with their destinations.
    var sent: [(message: MobilityMessage, to: IPv4Address, port: UInt16)] {
        compactMap { action in
            guard case .send(let bytes, let to, let port) = action,
                  let header = try? MobilityHeader(decoding: bytes) else { return nil }
            return (header.message, to, port)
        }
    }

    var acknowledgements: [ProxyBindingAcknowledgement] {
        sent.compactMap { if case .proxyBindingAcknowledgement(let pba) = $0.message { pba } else { nil } }
    }

    var revocations: [(BindingRevocationIndication, IPv4Address)] {
        sent.compactMap { if case .bindingRevocationIndication(let bri) = $0.message { (bri, $0.to) } else { nil } }
    }

    var notices: [HomeAgentNotice] { compactMap(\.notice) }

    /// Whether any action changes a binding, the store or the data plane.
    var touchesBindings: Bool {
        contains { action in
            switch action {
            case .persist, .unpersist, .attach, .move, .detach: true
            default: false
            }
        }
    }

    /// The index of the first action matching.
    func index(where predicate: (HomeAgentAction) -> Bool) -> Int? { firstIndex(where: predicate) }
}
