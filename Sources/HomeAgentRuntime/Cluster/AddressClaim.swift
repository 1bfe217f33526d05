import AgentRuntime
import GLMWire
import Logging

/// The cluster's service address on this member's interface: added when the member
/// starts serving, announced with gratuitous ARP so that the routers and hosts of that
/// network send to this machine at once, and deleted when it stops. Recorded in a
/// journal beside the control socket, so that a member killed while serving drops the
/// address at its next start.
final class AddressClaim: Sendable {
    let address: IPv4Address
    let prefixLength: Int
    let interface: String
    private let configurator: NetworkConfigurator
    private let logger: Logger
    /// When the second and third gratuitous ARPs go, after the first: one lost
    /// announcement must not leave a router sending to the former owner.
    static let repeats: [Duration] = [.milliseconds(100), .milliseconds(500)]

    init(address: IPv4Address, prefixLength: Int, interface: String, journal: String, logger: Logger) {
        self.address = address
        self.prefixLength = prefixLength
        self.interface = interface
        self.configurator = NetworkConfigurator(journal: journal, logger: logger)
        self.logger = logger
    }

    /// Undoes what a killed predecessor left: the address it held.
    func recover() throws {
        let (undone, failures) = try configurator.recover()
        if undone > 0 {
            logger.warning("dropped the service address a killed home agent left", metadata: ["address": "\(address)", "interface": "\(interface)"])
        }
        for failure in failures {
            logger.warning("could not drop what a killed home agent left", metadata: ["error": "\(failure)"])
        }
    }

    func claim() throws {
        try configurator.apply([.address(address, prefixLength: prefixLength, device: interface)])
        let proxyARP = ProxyARP(configurator: configurator, logger: logger)
        announce(proxyARP)
        let address = self.address
        let interface = self.interface
        let logger = self.logger
        Task {
            for delay in Self.repeats {
                try? await Task.sleep(for: delay)
                do {
                    try proxyARP.sendGratuitousARP(for: address, on: interface)
                } catch {
                    logger.debug("gratuitous ARP not sent", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    func release() {
        for failure in configurator.teardown() {
            logger.warning("could not drop the service address", metadata: ["address": "\(address)", "error": "\(failure)"])
        }
    }

    private func announce(_ proxyARP: ProxyARP) {
        do {
            try proxyARP.sendGratuitousARP(for: address, on: interface)
        } catch {
            logger.warning("gratuitous ARP for the service address not sent", metadata: ["address": "\(address)", "error": "\(error)"])
        }
    }
}
