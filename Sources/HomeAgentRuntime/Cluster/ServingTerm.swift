import AgentRuntime
import Etcd
import GLMControl
import GLMWire
import HomeAgentCore
import Logging
import Synchronization

/// One member's time serving the cluster: the service address on its interface, the
/// bindings restored from etcd into a fresh daemon, the data plane for the VMs away,
/// and every commit fenced by the term. Ended by ``stop()``, which withdraws the
/// address and the data plane before it waits for the daemon.
final class ServingTerm: Sendable {
    let term: Int64
    let daemon: HomeAgentDaemon
    private let task: Task<Void, Never>
    private let ending: Ending
    private let dataPlane: (any HomeDataPlane)?
    private let address: AddressClaim

    /// How the daemon's run ended, once it has.
    final class Ending: Sendable {
        private let outcome = Mutex<String?>(nil)
        var reason: String? { outcome.withLock { $0 } }
        func record(_ reason: String) { outcome.withLock { $0 = $0 ?? reason } }
    }

    /// Takes the address, then starts the daemon; undoes what it did when a step fails.
    static func start(term: Int64, configuration: HomeAgentConfiguration, store: EtcdBindingStore,
                      dataPlane: (any HomeDataPlane)?, address: AddressClaim, logger: Logger, events: ControlEventFeed,
                      ownershipLost: @escaping @Sendable (OwnershipLost) -> Void) async throws -> ServingTerm {
        try address.claim()
        let ending = Ending()
        do {
            let daemon = try await HomeAgentDaemon(configuration: configuration, store: store, dataPlane: dataPlane,
                                                   logger: logger, events: events, commitFailed: { error in
                                                       if let lost = error as? OwnershipLost { ownershipLost(lost) }
                                                   })
            let task = Task {
                do {
                    try await daemon.run()
                    ending.record("stopped")
                } catch {
                    ending.record("\(error)")
                }
            }
            // Serving begins once the signaling socket is bound: the bindings restored,
            // their tunnels and ARP answers installed.
            while await daemon.signalingPort() == nil {
                if let reason = ending.reason {
                    throw ServingError(reason: reason)
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            return ServingTerm(term: term, daemon: daemon, task: task, ending: ending, dataPlane: dataPlane, address: address)
        } catch {
            if let dataPlane { await dataPlane.stop() }
            address.release()
            throw error
        }
    }

    private init(term: Int64, daemon: HomeAgentDaemon, task: Task<Void, Never>, ending: Ending,
                 dataPlane: (any HomeDataPlane)?, address: AddressClaim) {
        self.term = term
        self.daemon = daemon
        self.task = task
        self.ending = ending
        self.dataPlane = dataPlane
        self.address = address
    }

    /// Stops serving at once: the address and the data plane go first (nothing answers
    /// for the VMs or the address from here on), then the daemon ends; what it could not
    /// commit is never acknowledged.
    func stop() async {
        address.release()
        if let dataPlane { await dataPlane.stop() }
        daemon.shutdown()
        await task.value
    }

    /// Why the daemon ended by itself, if it did (a failure while serving).
    var ended: String? { ending.reason }
}

/// The daemon of a term did not start.
struct ServingError: Error, CustomStringConvertible {
    var reason: String
    var description: String { "the home agent did not start: \(reason)" }
}
