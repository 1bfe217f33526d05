import ArgumentParser
import GLMControl
import GLMWire

/// What the libvirt hook of a hypervisor on the home LAN calls when a VM is about to
/// migrate back home (make-before-break), or when that migration failed.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Tell the running home agent that a VM is about to come back to the home LAN, or that it will not."
    )

    enum Event: String, ExpressibleByArgument, CaseIterable {
        case incoming, aborted

        var notifyEvent: ControlRequest.NotifyEvent { self == .incoming ? .incoming : .aborted }
    }

    @Option(help: "The VM's MAC address, as 52:54:00:12:34:56.")
    var vm: String

    @Option(help: "incoming (a migration to a host of the home LAN is about to start) or aborted (it failed).")
    var event: Event

    @Option(help: "The control socket.")
    var socket: String = "/run/glm/home-agent.sock"

    func validate() throws {
        guard let mac = MACAddress(vm), mac != .zero, !mac.isMulticast else {
            throw ValidationError("--vm must be a VM's MAC address such as 52:54:00:12:34:56, not '\(vm)'")
        }
    }

    func run() async throws {
        do {
            let _: ControlAcknowledgement = try await ControlClient(path: socket).call(.notify(event.notifyEvent, vm: vm))
        } catch {
            print(error)
            throw ExitCode.failure
        }
    }
}
