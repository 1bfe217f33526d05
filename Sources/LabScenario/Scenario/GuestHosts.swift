import LabNetwork

/// Where a lab guest can run: a host's namespace, for its QEMU, and taps on that host's
/// bridge, for its NIC. ``LabTopology``'s hosts and ``FederationTopology``'s hypervisors
/// are such places, so one ``LabGuest`` migrates across either lab.
public protocol GuestHosts: AnyObject, Sendable {
    /// A host that can run a guest.
    associatedtype GuestHost: Hashable, Sendable

    /// The namespace QEMU runs in at `host`.
    func namespace(of host: GuestHost) -> String
    /// Creates the TAP device `name` at `host`, up and a port of its bridge.
    func addTap(_ name: String, at host: GuestHost) async throws
    func deleteTap(_ name: String, at host: GuestHost) async throws
}

extension LabTopology: GuestHosts {
    public typealias GuestHost = Host
}

extension FederationTopology: GuestHosts {
    public typealias GuestHost = Hypervisor
}
