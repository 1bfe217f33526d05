import GLMWire

/// What a VM served here asks of the network by ARP. The guest keeps its home
/// configuration: it asks for its home gateway (and for home neighbours on its subnet),
/// none of which is on this site's LAN. The agent answers those requests itself, from the
/// VM's own bridge port, and nothing else: no proxy ARP on a bridge joined to the site's
/// LAN, whose other hosts would learn this hypervisor's MAC for their own neighbours.
extension SiteAgentCore {
    /// Answers `arp` when it is a request from a VM served (or prepared) here for an
    /// address of its home subnet other than its own.
    func answer(_ arp: ARPPacket, on bridge: String?) -> [SiteAgentAction] {
        guard arp.operation == .request, arp.hardwareType == ARPPacket.ethernetHardwareType,
              let entry = entries[arp.senderMAC] else { return [] }
        let vm: ServedVM
        switch entry.state {
        case .served(let served), .prepared(let served): vm = served
        default: return []
        }
        let subnet = IPv4Prefix(address: vm.address, length: vm.prefixLength)
        // Its own address is a duplicate-address probe: never answered.
        guard arp.senderIPv4 == vm.address || arp.senderIPv4 == .any, arp.targetIPv4 != vm.address,
              subnet.contains(arp.targetIPv4), subnet.reservedRole(of: arp.targetIPv4) == nil else { return [] }
        if let bridge, let servedOn = vm.bridge, bridge != servedOn { return [] }
        return [.answerARP(ARPAnswer(vm: vm.vm, vmAddress: vm.address, asked: arp.targetIPv4, bridge: vm.bridge ?? bridge))]
    }
}

/// An ARP reply owed to a VM served here: "`asked` is at this host", unicast to the VM
/// on its bridge.
public struct ARPAnswer: Hashable, Sendable {
    public var vm: MACAddress
    public var vmAddress: IPv4Address
    /// The address the VM asked for: its gateway or a home neighbour.
    public var asked: IPv4Address
    /// The bridge the VM is served on; nil for the runtime's default bridge.
    public var bridge: String?

    public init(vm: MACAddress, vmAddress: IPv4Address, asked: IPv4Address, bridge: String?) {
        self.vm = vm
        self.vmAddress = vmAddress
        self.asked = asked
        self.bridge = bridge
    }
}
