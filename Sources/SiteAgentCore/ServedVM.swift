import GLMWire

/// A VM this site serves after its home agent accepted it: the addresses the PBA gave
/// and the tunnel to the home agent.
public struct ServedVM: Hashable, Sendable {
    public var vm: MACAddress
    public var address: IPv4Address
    public var prefixLength: UInt8
    /// The home gateway, which the site impersonates on the VM's bridge.
    public var gateway: IPv4Address
    public var homeAgent: IPv4Address
    public var framing: TunnelFrame.Format
    /// The host bridge the VM arrived on; nil when nobody said (a hook's `arrived` for a
    /// VM not yet in any bridge's forwarding table): the runtime's default bridge.
    public var bridge: String?

    public init(vm: MACAddress, address: IPv4Address, prefixLength: UInt8, gateway: IPv4Address,
                homeAgent: IPv4Address, framing: TunnelFrame.Format, bridge: String? = nil) {
        self.vm = vm
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.homeAgent = homeAgent
        self.framing = framing
        self.bridge = bridge
    }
}
