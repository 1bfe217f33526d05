import GLMWire

/// One entry of the binding cache: the VM is away from home, at this site, until then.
///
/// This is what is persisted: every field needed to rebuild the data plane and resume
/// the timers after a restart.
public struct Binding: Hashable, Sendable {
    public var vm: MACAddress
    /// The VM's home address (from policy at the time of registration).
    public var homeAddress: IPv4Address
    /// The name and signaling address of the site hosting the VM.
    public var siteName: String
    public var siteAddress: IPv4Address
    /// The UDP port the site's signaling came from (replies and BRIs go there).
    public var sitePort: UInt16
    /// The Timestamp of the last accepted PBU: later PBUs must be newer.
    public var timestamp: PMIPTimestamp
    public var sequenceNumber: UInt16
    /// Granted lifetime, seconds.
    public var lifetime: Double
    /// Wall-clock seconds since 1970 when the binding was created at this site.
    public var registeredAt: Double
    /// Wall-clock seconds since 1970 when the lifetime ends.
    public var expiresAt: Double
    /// How tunnelled data to and from the site is framed.
    public var framing: TunnelFrame.Format

    public init(vm: MACAddress, homeAddress: IPv4Address, siteName: String, siteAddress: IPv4Address, sitePort: UInt16,
                timestamp: PMIPTimestamp, sequenceNumber: UInt16, lifetime: Double, registeredAt: Double,
                expiresAt: Double, framing: TunnelFrame.Format) {
        self.vm = vm
        self.homeAddress = homeAddress
        self.siteName = siteName
        self.siteAddress = siteAddress
        self.sitePort = sitePort
        self.timestamp = timestamp
        self.sequenceNumber = sequenceNumber
        self.lifetime = lifetime
        self.registeredAt = registeredAt
        self.expiresAt = expiresAt
        self.framing = framing
    }
}

/// What the data plane needs for one VM away from home: answer ARP for its address on
/// the home LAN, and carry its traffic to and from its site.
public struct AwayVM: Hashable, Sendable {
    public var vm: MACAddress
    public var homeAddress: IPv4Address
    public var siteAddress: IPv4Address
    public var framing: TunnelFrame.Format

    public init(vm: MACAddress, homeAddress: IPv4Address, siteAddress: IPv4Address, framing: TunnelFrame.Format) {
        self.vm = vm
        self.homeAddress = homeAddress
        self.siteAddress = siteAddress
        self.framing = framing
    }

    public init(_ binding: Binding) {
        self.init(vm: binding.vm, homeAddress: binding.homeAddress, siteAddress: binding.siteAddress, framing: binding.framing)
    }
}
