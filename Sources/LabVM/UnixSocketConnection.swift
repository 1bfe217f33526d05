import Foundation
import Synchronization
import LabProcesses

#if canImport(Glibc)
import Glibc
#endif

/// A connected unix stream socket whose bytes are read on a dedicated thread (never on
/// Swift's cooperative pool), for QEMU's QMP and console sockets.
final class UnixSocketConnection: Sendable {
    private struct State {
        var descriptor: Int32
        var closed = false
        var reading = false
    }
    private let state: Mutex<State>
    let path: String

    /// Connects to the socket at `path`; fails at once when nothing listens there.
    init(path: String) throws {
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw LabVMError(.qmp, "socket path \(path) is longer than a unix socket address allows (107 bytes)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw LabVMError(.qmp, "socket(AF_UNIX): \(String(cString: strerror(errno)))")
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw LabVMError(.qmp, "connecting to \(path): \(reason)")
        }
        state = Mutex(State(descriptor: descriptor))
    }

    /// Starts the reading thread: `received` gets each chunk, `ended` once at end of
    /// stream (the peer closed, or ``close()``). The thread owns closing the descriptor.
    func startReading(name: String, received: @escaping @Sendable ([UInt8]) -> Void,
                      ended: @escaping @Sendable () -> Void) {
        let descriptor: Int32? = state.withLock { state in
            guard !state.closed, !state.reading else { return nil }
            state.reading = true
            return state.descriptor
        }
        guard let descriptor else {
            ended()
            return
        }
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    received(Array(buffer[0..<count]))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            state.withLock { state in
                state.closed = true
                Glibc.close(state.descriptor)
                state.descriptor = -1
            }
            ended()
        }
        thread.name = name
        thread.start()
    }

    /// Writes all of `bytes`; fails once the connection is closed.
    func write(_ bytes: [UInt8]) throws {
        try state.withLock { state in
            guard !state.closed else { throw LabVMError(.qmp, "\(path): the connection is closed") }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes {
                    send(state.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw LabVMError(.qmp, "writing to \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    /// Ends the connection; the reading thread sees the end and closes the descriptor.
    func close() {
        state.withLock { state in
            guard !state.closed else { return }
            if state.reading {
                shutdown(state.descriptor, Int32(SHUT_RDWR))
            } else {
                state.closed = true
                Glibc.close(state.descriptor)
                state.descriptor = -1
            }
        }
    }

    deinit {
        state.withLock { state in
            if !state.closed && !state.reading { Glibc.close(state.descriptor) }
        }
    }

    /// Connects to `path`, retrying while QEMU has not created the socket yet; throws
    /// `code` naming `what` when it does not appear within `timeout`.
    static func connectWhenReady(path: String, timeout: Duration, code: LabVMError.Code, what: String) async throws -> UnixSocketConnection {
        var lastError: (any Error)?
        var connection: UnixSocketConnection?
        _ = await waitUntil(timeout: timeout) {
            do {
                connection = try UnixSocketConnection(path: path)
                return true
            } catch {
                lastError = error
                return false
            }
        }
        guard let connection else {
            throw LabVMError(code, "no \(what) at \(path) within \(timeout): \(lastError.map { "\($0)" } ?? "")")
        }
        return connection
    }
}
