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

    /// Tells a VM that has just come back to this LAN where its neighbours really are.
    ///
    /// Away, the VM's ARP cache learnt the remote site's MAC for every home neighbour it
    /// spoke to; back home, frames to that MAC go nowhere until the guest asks again, tens
    /// of seconds later. This host forwarded that traffic while the VM was away, so its
    /// own neighbour table on `interface` holds those neighbours: for each, an ARP reply
    /// is sent to the VM alone ("neighbour's address is at neighbour's MAC", from this
    /// interface's MAC, so that no bridge learns the neighbour's MAC on this port). So
    /// is one for each of this interface's own addresses (the gateway, where this host is
    /// the site's router). Returns how many were sent.
    @discardableResult
    public func reacquaint(vm: MACAddress, address: IPv4Address, on interface: String) throws(DataPlaneError) -> Int {
        let own = try NetworkInterface.macAddress(of: interface)
        var sent = 0
        for mine in NetworkInterface.addresses(of: interface) where mine != address {
            let reply = ARPPacket.reply(senderMAC: own, senderIPv4: mine, targetMAC: vm, targetIPv4: address)
            try NetworkInterface.send(frame: FrameBuilder.ethernet(reply, destination: vm, source: own, padded: true), on: interface)
            sent += 1
        }
        for neighbour in NetworkInterface.neighbours(on: interface) where neighbour.address != address && neighbour.mac != vm {
            let reply = ARPPacket.reply(senderMAC: neighbour.mac, senderIPv4: neighbour.address, targetMAC: vm, targetIPv4: address)
            try NetworkInterface.send(frame: FrameBuilder.ethernet(reply, destination: vm, source: own, padded: true), on: interface)
            sent += 1
        }
        return sent
    }

    /// Broadcasts a gratuitous ARP claiming `address` for `interface`'s own MAC.
    public func sendGratuitousARP(for address: IPv4Address, on interface: String) throws(DataPlaneError) {
        let mac = try NetworkInterface.macAddress(of: interface)
        try NetworkInterface.send(frame: FrameBuilder.gratuitousARP(mac: mac, ipv4: address, padded: true), on: interface)
    }
}
