import Foundation
import LabNetwork
import LabVM

/// One of the lab's QEMU VMs as it travels: the QEMU process that runs it now, on a tap
/// of its current host's bridge. `Hosts` is the lab it travels across: a
/// ``LabTopology`` (its hosts) or a ``FederationTopology`` (its hypervisors).
public final class LabGuest<Hosts: GuestHosts>: @unchecked Sendable {
    public typealias Host = Hosts.GuestHost

    // Used by the scenario's (or test's) one task at a time.
    public let profile: VMProfile
    public let topology: Hosts
    let image: GuestImage
    let folder: String
    private(set) var machine: VirtualMachine
    /// The host whose bridge the VM's tap is on.
    public private(set) var host: Host
    private(set) var tap: String
    private var console: GuestConsole?

    private init(profile: VMProfile, topology: Hosts, image: GuestImage, folder: String,
                 machine: VirtualMachine, host: Host, tap: String) {
        self.profile = profile
        self.topology = topology
        self.image = image
        self.folder = folder
        self.machine = machine
        self.host = host
        self.tap = tap
    }

    /// Boots the VM at `host` and waits for its console. `folder` (short: it holds QEMU's
    /// unix sockets) keeps each hop's sockets, pidfile and console log.
    public static func boot(_ profile: VMProfile, at host: Host, topology: Hosts, image: GuestImage,
                            folder: String) async throws -> LabGuest {
        let tap = tapName(profile, hop: 0)
        try await topology.addTap(tap, at: host)
        let machine = try await VirtualMachine.start(configuration(profile, at: host, tap: tap, hop: 0, topology: topology,
                                                                   folder: folder), image: image)
        do {
            _ = try await machine.waitUntilBooted()
        } catch {
            machine.kill()
            throw error
        }
        return LabGuest(profile: profile, topology: topology, image: image, folder: folder, machine: machine, host: host, tap: tap)
    }

    /// Live-migrates the VM to `destination`: a QEMU waiting with `-incoming` on a new tap
    /// there, `migrate`, the source quits and its tap goes.
    /// `beforeMigrate` runs once the destination QEMU waits, just before `migrate`.
    public func migrate(to destination: Host, hop: Int,
                        beforeMigrate: () async throws -> Void = {}) async throws -> MigrationOutcome {
        let newTap = Self.tapName(profile, hop: hop)
        try await topology.addTap(newTap, at: destination)
        let target = try await VirtualMachine.start(
            Self.configuration(profile, at: destination, tap: newTap, hop: hop, topology: topology, folder: folder),
            image: image, incoming: "\(folder)/hop\(hop).migration.sock")
        console?.close()
        console = nil
        let outcome: MigrationOutcome
        do {
            try await beforeMigrate()
            outcome = try await LiveMigration().run(from: machine, to: target)
        } catch {
            target.kill()
            throw error
        }
        await machine.stop()
        try? await topology.deleteTap(tap, at: host)
        machine = target
        host = destination
        tap = newTap
        return outcome
    }

    /// What the guest itself says of its addresses and routes, over its serial console.
    public func networkConfiguration() async throws -> GuestNetworkConfiguration {
        try await machine.console().networkConfiguration()
    }

    public func stop() async {
        console?.close()
        await machine.stop()
    }

    /// SIGKILL to the QEMU running the VM, without suspending: for cleanup paths.
    public func kill() {
        machine.kill()
    }

    private static func tapName(_ profile: VMProfile, hop: Int) -> String { "t\(profile.name)-\(hop)" }

    private static func configuration(_ profile: VMProfile, at host: Host, tap: String, hop: Int,
                                      topology: Hosts, folder: String) -> VirtualMachine.Configuration {
        VirtualMachine.Configuration(name: "\(profile.name)-\(hop)", namespace: topology.namespace(of: host), tap: tap,
                                     mac: profile.mac, address: "\(profile.address)/\(profile.prefixLength)",
                                     gateway: profile.gateway, folder: "\(folder)/hop\(hop)")
    }
}
