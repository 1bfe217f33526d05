import Synchronization

/// A "namespace VM": a namespace with one link `eth0` (the VM's MAC and address, IPv6
/// off, a default route to its gateway), the other end of which, ``port``, is a port of
/// a host's bridge. Moving that port to another host's bridge is how the fast end-to-end
/// tests migrate a VM. It sends nothing of its own accord. `Place` is where a lab's VMs
/// can run: a ``LabTopology/Host`` or a ``FederationTopology/Hypervisor``.
public final class NamespaceVM<Place: Sendable>: Sendable {
    public let name: String
    /// The VM's own namespace.
    public let namespace: String
    /// The host-side end of the VM's link: `vm-<name>`.
    public let port: String
    public let mac: String
    /// The VM's address with its prefix length, as given.
    public let address: String
    private let location: Mutex<Place>

    init(name: String, prefix: String, mac: String, address: String, at place: Place) {
        precondition(name.utf8.count <= 12, "an interface name holds at most 15 characters")
        self.name = name
        self.namespace = "\(prefix)-vm-\(name)"
        self.port = "vm-\(name)"
        self.mac = mac
        self.address = address
        location = Mutex(place)
    }

    /// Where the VM's port is now.
    public var place: Place { location.withLock { $0 } }

    func moved(to place: Place) { location.withLock { $0 = place } }
}

extension NamespaceVM where Place == LabTopology.Host {
    /// The host whose bridge the VM's port is on.
    public var host: LabTopology.Host { place }
}

extension NamespaceVM where Place == FederationTopology.Hypervisor {
    /// The hypervisor whose bridge the VM's port is on.
    public var hypervisor: FederationTopology.Hypervisor { place }
}

extension NamespaceCommands {
    /// Makes `vm`'s namespace and link, its port on `bridge` in `hostNamespace`.
    func attach<Place>(_ vm: NamespaceVM<Place>, gateway: String, hostNamespace: String, bridge: String) async throws {
        try await command(["netns", "add", vm.namespace])
        try await sysctl(vm.namespace, [("net.ipv6.conf.all.disable_ipv6", "1"), ("net.ipv6.conf.default.disable_ipv6", "1")])
        try await command(["-n", vm.namespace, "link", "set", "lo", "up"])
        try await command(["-n", hostNamespace, "link", "add", vm.port, "type", "veth", "peer", "name", "eth0", "netns", vm.namespace])
        try await command(["-n", vm.namespace, "link", "set", "eth0", "address", vm.mac, "up"])
        try await command(["-n", vm.namespace, "address", "add", vm.address, "dev", "eth0"])
        try await command(["-n", vm.namespace, "route", "add", "default", "via", gateway])
        try await command(["-n", hostNamespace, "link", "set", vm.port, "master", bridge, "up"])
    }

    /// Moves `vm`'s port from `fromNamespace` to `toNamespace` and makes it a port of
    /// `bridge` there, as a live migration's switch-over moves a tap (~20 ms).
    func move<Place>(_ vm: NamespaceVM<Place>, from fromNamespace: String, to place: Place, namespace toNamespace: String,
                     bridge: String) async throws {
        try await command(["-n", fromNamespace, "link", "set", vm.port, "netns", toNamespace])
        vm.moved(to: place)
        try await command(["-n", toNamespace, "link", "set", vm.port, "master", bridge, "up"])
    }
}
