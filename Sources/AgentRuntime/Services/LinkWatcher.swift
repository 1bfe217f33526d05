import Foundation
import Logging
import PacketCapture
import ServiceLifecycle
import Synchronization

/// Captures the frames a BPF filter passes on one interface and hands each to `deliver`,
/// until shutdown.
///
/// Capture runs on a thread of its own (libpcap blocks). An interface that cannot be
/// opened is logged as an error with `consequence`, and the service then just waits for
/// shutdown: the daemon keeps running without it.
package struct LinkWatcher: Service {
    package let interface: String
    package let filter: String
    /// The capture thread's name, as `top -H` shows it.
    package let threadName: String
    /// What is lost when the interface cannot be watched, for the error log line.
    package let consequence: String
    package let logger: Logger
    package let deliver: @Sendable ([UInt8]) -> Void

    package init(interface: String, filter: String, threadName: String, consequence: String, logger: Logger,
                 deliver: @escaping @Sendable ([UInt8]) -> Void) {
        self.interface = interface
        self.filter = filter
        self.threadName = threadName
        self.consequence = consequence
        self.logger = logger
        self.deliver = deliver
    }

    /// Hypervisors' announces after a migration: RARP (QEMU, ESXi).
    package static let announceFilter = "ether proto 0x8035"

    package func run() async throws {
        let stop = Flag()
        let (interface, filter, consequence, logger, deliver) = (self.interface, self.filter, self.consequence, self.logger, self.deliver)
        let done = AsyncStream<Void>.makeStream()
        let thread = Thread {
            defer { done.continuation.finish() }
            let capture: LiveCapture
            do {
                capture = try LiveCapture(interface: interface)
                try capture.setFilter(filter)
            } catch {
                logger.error("cannot watch \(interface); \(consequence)", metadata: ["interface": "\(interface)", "error": "\(error)"])
                return
            }
            while !stop.value.load(ordering: .relaxed) {
                do {
                    guard let packet = try capture.next(timeout: .milliseconds(200)) else { continue }
                    deliver(packet.bytes)
                } catch {
                    logger.error("capture failed", metadata: ["interface": "\(interface)", "error": "\(error)"])
                    break
                }
            }
            capture.close()
        }
        thread.name = threadName
        thread.start()
        logger.info("watching for announces", metadata: ["interface": "\(interface)", "filter": "\(filter)"])
        try? await gracefulShutdown()
        stop.value.store(true, ordering: .relaxed)
        for await _ in done.stream {}
    }

    /// A flag shared with the capture thread.
    final class Flag: Sendable {
        let value = Atomic(false)
    }
}
