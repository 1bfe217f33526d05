import Synchronization

extension LabTopology {
    /// A "namespace VM": a namespace with one link `eth0` (the VM's MAC and address,
    /// IPv6 off, a default route to its gateway), the other end of which, ``port``, is a
    /// port of a host's bridge. Moving that port to another host's bridge is how the fast
    /// end-to-end tests migrate a VM. It sends nothing of its own accord.
    public final class VethVM: Sendable {
        public let name: String
        /// The VM's own namespace.
        public let namespace: String
        /// The host-side end of the VM's link: `vm-<name>`.
        public let port: String
        public let mac: String
        /// The VM's address with its prefix length, as given.
        public let address: String
        private let location: Mutex<Host>

        init(name: String, namespace: String, port: String, mac: String, address: String, host: Host) {
            self.name = name
            self.namespace = namespace
            self.port = port
            self.mac = mac
            self.address = address
            location = Mutex(host)
        }

        /// The host whose bridge the VM's port is on.
        public var host: Host { location.withLock { $0 } }

        func moved(to host: Host) { location.withLock { $0 = host } }
    }

    /// Creates a namespace VM `name` (at most 12 characters) with `mac` and `address`
    /// (`10.10.0.50/24`) behind `gateway`, its port on `host`'s bridge.
    public func attachVethVM(name: String, mac: String, address: String, gateway: String = LabTopology.vmGateway,
                             at host: Host) async throws -> VethVM {
        precondition(name.utf8.count <= 12, "an interface name holds at most 15 characters")
        let vm = VethVM(name: name, namespace: "\(prefix)-vm-\(name)", port: "vm-\(name)", mac: mac, address: address, host: host)
        try await command(["netns", "add", vm.namespace])
        state.withLock { $0.vmNamespaces.append(vm.namespace) }
        try await sysctl(vm.namespace, [("net.ipv6.conf.all.disable_ipv6", "1"), ("net.ipv6.conf.default.disable_ipv6", "1")])
        try await command(["-n", vm.namespace, "link", "set", "lo", "up"])
        try await command(["-n", namespace(of: host), "link", "add", vm.port, "type", "veth",
                           "peer", "name", "eth0", "netns", vm.namespace])
        try await command(["-n", vm.namespace, "link", "set", "eth0", "address", mac, "up"])
        try await command(["-n", vm.namespace, "address", "add", address, "dev", "eth0"])
        try await command(["-n", vm.namespace, "route", "add", "default", "via", gateway])
        try await command(["-n", namespace(of: host), "link", "set", vm.port, "master", host.bridge, "up"])
        return vm
    }

    /// Moves the VM's port from its host's namespace to `host`'s and makes it a port of
    /// that host's bridge, as a live migration's switch-over does (~20 ms).
    public func moveVethVM(_ vm: VethVM, to host: Host) async throws {
        try await command(["-n", namespace(of: vm.host), "link", "set", vm.port, "netns", namespace(of: host)])
        vm.moved(to: host)
        try await command(["-n", namespace(of: host), "link", "set", vm.port, "master", host.bridge, "up"])
    }

    /// Creates the TAP device `name` in `host`'s namespace, up and a port of its bridge,
    /// for QEMU to open with `-netdev tap,ifname=NAME,script=no,downscript=no` (run in
    /// that namespace). It outlives QEMU until ``deleteTap(_:at:)`` or ``remove()``.
    public func addTap(_ name: String, at host: Host) async throws {
        try await command(["-n", namespace(of: host), "tuntap", "add", "dev", name, "mode", "tap"])
        try await command(["-n", namespace(of: host), "link", "set", name, "master", host.bridge, "up"])
    }

    public func deleteTap(_ name: String, at host: Host) async throws {
        try await command(["-n", namespace(of: host), "link", "delete", name])
    }
}
