extension FederationTopology {
    /// A namespace VM on the federation's hypervisors.
    public typealias VethVM = NamespaceVM<Hypervisor>

    /// Creates a namespace VM `name` (at most 12 characters) with `mac` and `address`
    /// (`10.1.0.50/24`) behind `gateway` (its home site's, ``gateway(site:)``), its port
    /// on `hypervisor`'s bridge.
    public func attachVethVM(name: String, mac: String, address: String, gateway: String,
                             at hypervisor: Hypervisor) async throws -> VethVM {
        let vm = VethVM(name: name, prefix: prefix, mac: mac, address: address, at: hypervisor)
        lifetime.adopt(vmNamespace: vm.namespace)
        try await commands.attach(vm, gateway: gateway, hostNamespace: namespace(of: hypervisor), bridge: hypervisor.bridge)
        return vm
    }

    /// Moves the VM's port from its hypervisor's namespace to `hypervisor`'s and makes it
    /// a port of that hypervisor's bridge, as a live migration's switch-over moves a tap
    /// (~20 ms).
    public func move(_ vm: VethVM, to hypervisor: Hypervisor) async throws {
        try await commands.move(vm, from: namespace(of: vm.hypervisor), to: hypervisor, namespace: namespace(of: hypervisor),
                                bridge: hypervisor.bridge)
    }
}
