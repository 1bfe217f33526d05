import ArgumentParser
import GLMControl
import GLMWire

/// What a libvirt hook or an orchestrator calls when a VM starts or stops running here.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Tell the running site agent that a VM arrived on or departed from this host."
    )

    enum Event: String, ExpressibleByArgument, CaseIterable {
        case arrived, departed, incoming, aborted

        var notifyEvent: ControlRequest.NotifyEvent {
            switch self {
            case .arrived: .arrived
            case .departed: .departed
            case .incoming: .incoming
            case .aborted: .aborted
            }
        }
    }

    /// The exit status when the host drains and refuses the VM (`glmctl drain`).
    static let drainingStatus: Int32 = 3

    @Option(help: "The VM's MAC address, as 52:54:00:12:34:56.")
    var vm: String

    @Option(help: "arrived, departed, incoming (a migration to this host is about to start) or aborted (it failed).")
    var event: Event

    @OptionGroup var socket: SocketOption

    func validate() throws {
        guard let mac = MACAddress(vm), mac != .zero, !mac.isMulticast else {
            throw ValidationError("--vm must be a VM's MAC address such as 52:54:00:12:34:56, not '\(vm)'")
        }
    }

    func run() async throws {
        do {
            let _: ControlAcknowledgement = try await ControlClient(path: socket.socket).call(.notify(event.notifyEvent, vm: vm))
        } catch let failure as ControlFailure {
            print(failure)
            // The host drains: a hook's `migrate` aborts the incoming migration on this.
            throw failure.draining == true ? ExitCode(Self.drainingStatus) : ExitCode.failure
        } catch {
            print(error)
            throw ExitCode.failure
        }
    }
}
