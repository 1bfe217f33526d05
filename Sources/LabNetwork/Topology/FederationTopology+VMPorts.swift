import Synchronization

extension FederationTopology {
    /// A "namespace VM": a namespace with one link `eth0` (the VM's MAC and address,
    /// IPv6 off, a default route to its gateway), the other end of which, ``port``, is a
    /// port of a hypervisor's bridge. Moving that port to another hypervisor's bridge is
    /// how the fast tests migrate a VM. It sends nothing of its own accord.
    public final class VethVM: Sendable {
        public let name: String
        /// The VM's own namespace.
        public let namespace: String
        /// The hypervisor-side end of the VM's link: `vm-<name>`.
        public let port: String
        public let mac: String
        /// The VM's address with its prefix length, as given.
        public let address: String
        private let location: Mutex<Hypervisor>

        init(name: String, namespace: String, port: String, mac: String, address: String, hypervisor: Hypervisor) {
            self.name = name
            self.namespace = namespace
            self.port = port
            self.mac = mac
            self.address = address
            location = Mutex(hypervisor)
        }

        /// The hypervisor whose bridge the VM's port is on.
        public var hypervisor: Hypervisor { location.withLock { $0 } }

        func moved(to hypervisor: Hypervisor) { location.withLock { $0 = hypervisor } }
    }

    /// Creates a namespace VM `name` (at most 12 characters) with `mac` and `address`
    /// (`10.1.0.50/24`) behind `gateway` (its home site's, ``gateway(site:)``), its port
    /// on `hypervisor`'s bridge.
    public func attachVethVM(name: String, mac: String, address: String, gateway: String,
                             at hypervisor: Hypervisor) async throws -> VethVM {
        precondition(name.utf8.count <= 12, "an interface name holds at most 15 characters")
        let vm = VethVM(name: name, namespace: "\(prefix)-vm-\(name)", port: "vm-\(name)", mac: mac, address: address,
                        hypervisor: hypervisor)
        try await command(["netns", "add", vm.namespace])
        state.withLock { $0.vmNamespaces.append(vm.namespace) }
        try await sysctl(vm.namespace, [("net.ipv6.conf.all.disable_ipv6", "1"), ("net.ipv6.conf.default.disable_ipv6", "1")])
        try await command(["-n", vm.namespace, "link", "set", "lo", "up"])
        try await command(["-n", namespace(of: hypervisor), "link", "add", vm.port, "type", "veth",
                           "peer", "name", "eth0", "netns", vm.namespace])
        try await command(["-n", vm.namespace, "link", "set", "eth0", "address", mac, "up"])
        try await command(["-n", vm.namespace, "address", "add", address, "dev", "eth0"])
        try await command(["-n", vm.namespace, "route", "add", "default", "via", gateway])
        try await command(["-n", namespace(of: hypervisor), "link", "set", vm.port, "master", hypervisor.bridge, "up"])
        return vm
    }

    /// Moves the VM's port from its hypervisor's namespace to `hypervisor`'s and makes it
    /// a port of that hypervisor's bridge, as a live migration's switch-over moves a tap
    /// (~20 ms).
    public func move(_ vm: VethVM, to hypervisor: Hypervisor) async throws {
        try await command(["-n", namespace(of: vm.hypervisor), "link", "set", vm.port, "netns", namespace(of: hypervisor)])
        vm.moved(to: hypervisor)
        try await command(["-n", namespace(of: hypervisor), "link", "set", vm.port, "master", hypervisor.bridge, "up"])
    }
}
