extension FederationTopology {
    /// Creates the TAP device `name` in `hypervisor`'s namespace, up and a port of its
    /// bridge `br0`, for QEMU to open with `-netdev tap,ifname=NAME,script=no,downscript=no`
    /// (run in that namespace). It outlives QEMU until ``deleteTap(_:at:)`` or ``remove()``.
    public func addTap(_ name: String, at hypervisor: Hypervisor) async throws {
        try await command(["-n", namespace(of: hypervisor), "tuntap", "add", "dev", name, "mode", "tap"])
        try await command(["-n", namespace(of: hypervisor), "link", "set", name, "master", hypervisor.bridge, "up"])
    }

    public func deleteTap(_ name: String, at hypervisor: Hypervisor) async throws {
        try await command(["-n", namespace(of: hypervisor), "link", "delete", name])
    }
}
