import HomeAgentCore

/// The home agent's data plane: for each VM away, answer ARP for its home address on the
/// home LAN and carry its traffic to and from its site. A user-space implementation over
/// TUN exists; a kernel one (ipip/gre/fou) could fill the same role.
public protocol HomeDataPlane: Sendable {
    func start() async throws
    func attach(_ vm: AwayVM) async throws
    func move(_ vm: AwayVM) async throws
    func detach(_ vm: AwayVM) async throws
    /// A site prepares to receive the VM: its downlink goes there too, and what that site
    /// sends from the VM's address is admitted.
    func prepare(_ site: AwayVM) async throws
    /// The preparation at that site is over.
    func unprepare(_ site: AwayVM) async throws
    /// Undoes everything the data plane installed in the OS.
    func stop() async
}
