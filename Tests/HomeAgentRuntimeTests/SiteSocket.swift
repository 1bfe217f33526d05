import Foundation
import GLMWire
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A site agent's signaling socket, for tests: a real UDP socket on a loopback address
/// that signs what it sends and verifies what it receives.
final class SiteSocket {
    let address: IPv4Address
    let port: UInt16
    let association: SecurityAssociation
    let home: IPv4Address
    let homePort: UInt16
    private let fd: Int32
    var sequence: UInt16 = 1

    init(address: IPv4Address, association: SecurityAssociation, home: IPv4Address, homePort: UInt16) throws {
        self.address = address
        self.association = association
        self.home = home
        self.homePort = homePort
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var local = Self.socketAddress(address, 0)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(descriptor); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var name = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        fd = descriptor
        port = UInt16(bigEndian: name.sin_port)
    }

    deinit { close(fd) }

    static func socketAddress(_ address: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var value = sockaddr_in()
        value.sin_family = sa_family_t(AF_INET)
        value.sin_port = port.bigEndian
        value.sin_addr.s_addr = address.rawValue.bigEndian
        return value
    }

    func sendRaw(_ bytes: [UInt8]) {
        var remote = Self.socketAddress(home, homePort)
        _ = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    func send(_ message: MobilityMessage, key: SecurityAssociation? = nil) {
        let signer = MessageSigner(association: key ?? association, scope: AuthenticationScope(sender: address, receiver: home))
        let buffer = try! MobilityHeader.encode(message, signer: signer)
        sendRaw(Array(buffer.readableBytesView))
    }

    /// A registration as a site agent sends it, stamped now.
    func register(_ vm: MACAddress, lifetime: UInt16 = 75, handoff: HandoffIndicator = .handoffBetweenMAGs,
                  key: SecurityAssociation? = nil) {
        sequence &+= 1
        send(.proxyBindingUpdate(ProxyBindingUpdate(sequenceNumber: sequence, lifetimeUnits: lifetime, options: [
            .mobileNodeIdentifier(.eui48(vm)), .handoffIndicator(handoff), .accessTechnologyType(.virtual),
            .timestamp(PMIPTimestamp(secondsSince1970: Date().timeIntervalSince1970)!),
            .ipv4HomeAddressRequest(IPv4HomeAddressRequest())])), key: key)
    }

    /// Waits until the agent answers on its signaling socket: a heartbeat every 200 ms
    /// until a response comes (heartbeats touch no binding). An agent's control socket can
    /// appear before its signaling socket is bound, the more so on a loaded machine.
    func waitForAgent(timeout: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var number: UInt32 = 0x4000_0000
        while Date() < deadline {
            number += 1
            send(.heartbeat(Heartbeat(sequenceNumber: number)))
            if case .heartbeat(let reply)? = await receive(timeout: 0.2)?.message, reply.isResponse { return true }
        }
        return false
    }

    /// The next message received within `timeout` seconds, decoded and verified. The wait
    /// happens off Swift's cooperative threads, so an agent running in this process (and
    /// other tests) keep running meanwhile.
    func receive(timeout: Double = 5) async -> (message: MobilityMessage, verified: Bool)? {
        let box = UncheckedBox(self)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: box.value.receiveBlocking(timeout: timeout))
            }
        }
    }

    func receiveBlocking(timeout: Double) -> (message: MobilityMessage, verified: Bool)? {
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let bytes = ByteBuffer(bytes: buffer[0..<count])
        guard let header = try? MobilityHeader(decoding: bytes) else { return nil }
        let verdict = SecurityAssociations([association]).verify(header, bytes: bytes, scope: AuthenticationScope(sender: home, receiver: address))
        return (header.message, verdict.isVerified)
    }
}

/// Carries a value to another thread; the tests use each socket from one place at a time.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
