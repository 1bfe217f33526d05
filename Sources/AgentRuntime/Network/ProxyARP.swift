import GLMWire
import Logging

/// Makes this host answer ARP for addresses that live elsewhere: the home agent's
/// stand-in for a VM that is away, on the home LAN.
///
/// ``announce(_:on:)`` installs a kernel neighbour proxy entry (`ip neigh replace proxy
/// ADDRESS dev INTERFACE`), so the kernel itself answers every ARP request for the
/// address with the interface's MAC, and sends one gratuitous ARP at once so that
/// neighbours that already cache the address switch to this host without waiting for
/// their entry to expire. The kernel answers proxied requests only when forwarding is
/// on for the interface and the route to the address leaves by another device (the
/// tunnel): the caller routes the address into the tunnel first. ``announce(_:on:)``
/// turns forwarding on for the interface and sets its `proxy_delay` to 0 (the kernel
/// otherwise delays proxied answers to broadcast requests by up to 0.8 s); both are
/// restored by the configurator's teardown.
public struct ProxyARP: Sendable {
    private let configurator: NetworkConfigurator
    private let logger: Logger

    public init(configurator: NetworkConfigurator, logger: Logger = Logger(label: "glm.proxy-arp")) {
        self.configurator = configurator
        self.logger = logger
    }

    /// Answers ARP for `address` on `interface` from now on, and says so at once with a
    /// gratuitous ARP from the interface's own MAC.
    public func announce(_ address: IPv4Address, on interface: String) throws {
        try configurator.set(.ipv4("forwarding", interface: interface), to: "1")
        try configurator.set(.ipv4Neighbour("proxy_delay", interface: interface), to: "0")
        try configurator.apply([.neighbourProxy(address, device: interface)])
        try sendGratuitousARP(for: address, on: interface)
        logger.info("answering ARP", metadata: ["address": "\(address)", "interface": "\(interface)"])
    }

    /// Stops answering ARP for `address` on `interface`. Withdrawing an address that is
    /// not announced is no error.
    public func withdraw(_ address: IPv4Address, on interface: String) throws {
        try configurator.revert([.neighbourProxy(address, device: interface)])
        logger.info("no longer answering ARP", metadata: ["address": "\(address)", "interface": "\(interface)"])
    }

    /// Broadcasts a gratuitous ARP claiming `address` for `interface`'s own MAC.
    public func sendGratuitousARP(for address: IPv4Address, on interface: String) throws(DataPlaneError) {
        let mac = try NetworkInterface.macAddress(of: interface)
        try NetworkInterface.send(frame: FrameBuilder.gratuitousARP(mac: mac, ipv4: address, padded: true), on: interface)
    }
}
