import Foundation
import GLMWire
import Logging
import PacketCapture
import ServiceLifecycle
import Synchronization

/// Watches the home LAN for a VM's own announce (the RARP a hypervisor sends when the VM
/// resumes after a migration): a VM seen announcing itself at home is home, and the home
/// agent steps aside for it.
///
/// Capture runs on a thread of its own (libpcap blocks), with a BPF filter that passes
/// only RARP frames.
struct HomeLANWatcher: Service {
    let interface: String
    let daemon: HomeAgentDaemon
    let logger: Logger

    static let filter = "ether proto 0x8035"

    func run() async throws {
        let stop = Arc(false)
        let daemon = self.daemon
        let logger = self.logger
        let interface = self.interface
        let done = AsyncStream<Void>.makeStream()
        let thread = Thread {
            defer { done.continuation.finish() }
            let capture: LiveCapture
            do {
                capture = try LiveCapture(interface: interface)
                try capture.setFilter(Self.filter)
            } catch {
                logger.error("cannot watch the home LAN; VMs coming home will not be noticed",
                             metadata: ["interface": "\(interface)", "error": "\(error)"])
                return
            }
            while !stop.flag.load(ordering: .relaxed) {
                do {
                    guard let packet = try capture.next(timeout: .milliseconds(200)) else { continue }
                    if let mac = try? LinkLayerPacket(linkType: .ethernet, frame: packet.bytes).announcedMAC {
                        daemon.submit(.event(.vmAnnouncedAtHome(mac)))
                    }
                } catch {
                    logger.error("home LAN capture failed", metadata: ["interface": "\(interface)", "error": "\(error)"])
                    break
                }
            }
            capture.close()
        }
        thread.name = "glm-home-lan"
        thread.start()
        logger.info("watching the home LAN for VMs coming home", metadata: ["interface": "\(interface)", "filter": "\(Self.filter)"])
        try? await gracefulShutdown()
        stop.flag.store(true, ordering: .relaxed)
        for await _ in done.stream {}
    }

    /// A flag shared with the capture thread.
    final class Arc: Sendable {
        let flag: Atomic<Bool>
        init(_ value: Bool) { flag = Atomic(value) }
    }
}
