extension LabTopology {
    /// A namespace VM on the lab's hosts.
    public typealias VethVM = NamespaceVM<Host>

    /// Creates a namespace VM `name` (at most 12 characters) with `mac` and `address`
    /// (`10.10.0.50/24`) behind `gateway`, its port on `host`'s bridge.
    public func attachVethVM(name: String, mac: String, address: String, gateway: String = LabTopology.vmGateway,
                             at host: Host) async throws -> VethVM {
        let vm = VethVM(name: name, prefix: prefix, mac: mac, address: address, at: host)
        lifetime.adopt(vmNamespace: vm.namespace)
        try await commands.attach(vm, gateway: gateway, hostNamespace: namespace(of: host), bridge: host.bridge)
        return vm
    }

    /// Moves the VM's port from its host's namespace to `host`'s and makes it a port of
    /// that host's bridge, as a live migration's switch-over does (~20 ms).
    public func moveVethVM(_ vm: VethVM, to host: Host) async throws {
        try await commands.move(vm, from: namespace(of: vm.host), to: host, namespace: namespace(of: host), bridge: host.bridge)
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
