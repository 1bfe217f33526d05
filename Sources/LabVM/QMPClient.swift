import Foundation
import LabProcesses
import Synchronization

/// QEMU refused a QMP command: its error class and message.
public struct QMPCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The command that failed.
    public let command: String
    /// QEMU's error class, for example `GenericError`, `CommandNotFound`.
    public let errorClass: String
    /// QEMU's `desc`.
    public let message: String

    public var description: String { "QMP \(command): \(message) (\(errorClass))" }
}

/// A QMP connection to one QEMU: commands with their replies, and the events QEMU
/// sends, kept with their timestamps.
///
/// ``connect(path:timeout:)`` reads the greeting and leaves capabilities negotiation
/// done. Replies and events are read on a dedicated thread; `execute` suspends without
/// holding a thread. QEMU serves one QMP client per socket at a time, so a VM keeps one
/// client for its whole life (``VirtualMachine/qmp``); events that happen while no
/// client is connected are lost.
public final class QMPClient: Sendable {
    private struct Pending {
        let command: String
        let continuation: CheckedContinuation<JSONValue, any Error>
        let timer: Task<Void, Never>?
    }
    private struct State {
        var buffer: [UInt8] = []
        var nextID = 0
        var pending: [String: Pending] = [:]
        var events: [QMPEvent] = []
        var greeting: JSONValue?
        var closed = false
    }
    private let state = Mutex(State())
    private let connection: UnixSocketConnection

    /// The socket's path.
    public var path: String { connection.path }

    private init(connection: UnixSocketConnection) {
        self.connection = connection
    }

    /// Connects to the QMP socket at `path` (retrying while QEMU has not created it yet),
    /// reads the greeting and negotiates capabilities.
    public static func connect(path: String, timeout: Duration = .seconds(10)) async throws -> QMPClient {
        let connection = try await UnixSocketConnection.connectWhenReady(path: path, timeout: timeout, code: .qmp, what: "QMP socket")
        let client = QMPClient(connection: connection)
        connection.startReading(name: "QMP \(path)", received: { [weak client] bytes in
            client?.received(bytes)
        }, ended: { [weak client] in
            client?.ended()
        })
        let greeted = await waitUntil(timeout: timeout) { client.greeting != nil || client.isClosed }
        guard greeted, let greeting = client.greeting, greeting["QMP"] != nil else {
            client.close()
            throw LabVMError(.qmp, "no QMP greeting on \(path) within \(timeout)")
        }
        _ = try await client.execute("qmp_capabilities", timeout: timeout)
        return client
    }

    /// QEMU's greeting (`{"QMP": {"version": …, "capabilities": …}}`), once read.
    public var greeting: JSONValue? { state.withLock { $0.greeting } }

    /// False once the connection ended (QEMU exited, or ``close()``).
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Runs `command` with `arguments` and returns its `return` member (often `{}`).
    ///
    /// Throws ``QMPCommandError`` when QEMU answers with an error, and ``LabVMError``
    /// when the connection ends or no answer comes within `timeout`.
    @discardableResult
    public func execute(_ command: String, _ arguments: [String: JSONValue]? = nil,
                        timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let id: String = state.withLock { state in
            state.nextID += 1
            return "glm-\(state.nextID)"
        }
        var message: [String: JSONValue] = ["execute": .string(command), "id": .string(id)]
        if let arguments { message["arguments"] = .object(arguments) }
        let line = Array((JSONValue.object(message).description + "\r\n").utf8)

        return try await withCheckedThrowingContinuation { continuation in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                self?.finish(id, with: .failure(LabVMError(.timeout, "QMP \(command): no answer within \(timeout)")))
            }
            let registered = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.pending[id] = Pending(command: command, continuation: continuation, timer: timer)
                return true
            }
            guard registered else {
                timer.cancel()
                continuation.resume(throwing: LabVMError(.qmp, "QMP \(command): the connection to \(path) is closed"))
                return
            }
            do {
                try connection.write(line)
            } catch {
                finish(id, with: .failure(error))
            }
        }
    }

    /// Every event received so far, oldest first.
    public var events: [QMPEvent] { state.withLock { $0.events } }

    /// The events named `name` received so far, oldest first.
    public func events(named name: String) -> [QMPEvent] { events.filter { $0.name == name } }

    /// The first event named `name` (and matching `predicate`) received so far, or the
    /// first to arrive within `timeout`.
    public func waitForEvent(_ name: String, timeout: Duration = .seconds(10),
                             where predicate: @Sendable (QMPEvent) -> Bool = { _ in true }) async throws -> QMPEvent {
        var found: QMPEvent?
        _ = await waitUntil(timeout: timeout) {
            found = events.first { $0.name == name && predicate($0) }
            return found != nil
        }
        guard let found else {
            throw LabVMError(.timeout, "no QMP event \(name) on \(path) within \(timeout)")
        }
        return found
    }

    /// Ends the connection; commands still waiting fail.
    public func close() {
        connection.close()
    }

    // MARK: - The reading thread

    private func received(_ bytes: [UInt8]) {
        let lines: [[UInt8]] = state.withLock { state in
            state.buffer.append(contentsOf: bytes)
            var lines: [[UInt8]] = []
            while let newline = state.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(Array(state.buffer[..<newline]))
                state.buffer.removeSubrange(...newline)
            }
            return lines
        }
        for line in lines {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, let message = try? JSONValue.parse(text) else { continue }
            handle(message)
        }
    }

    private func handle(_ message: JSONValue) {
        if message["QMP"] != nil {
            state.withLock { $0.greeting = message }
        } else if let event = QMPEvent(message: message) {
            state.withLock { $0.events.append(event) }
        } else if let id = message["id"]?.string {
            if let error = message["error"] {
                let command = state.withLock { $0.pending[id]?.command } ?? "?"
                finish(id, with: .failure(QMPCommandError(command: command,
                                                          errorClass: error["class"]?.string ?? "unknown",
                                                          message: error["desc"]?.string ?? "\(error)")))
            } else {
                finish(id, with: .success(message["return"] ?? .null))
            }
        }
    }

    private func ended() {
        let pending: [Pending] = state.withLock { state in
            state.closed = true
            let pending = Array(state.pending.values)
            state.pending = [:]
            return pending
        }
        for entry in pending {
            entry.timer?.cancel()
            entry.continuation.resume(throwing: LabVMError(.qmp, "QMP \(entry.command): QEMU closed \(path)"))
        }
    }

    private func finish(_ id: String, with result: Result<JSONValue, any Error>) {
        guard let entry = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        entry.timer?.cancel()
        entry.continuation.resume(with: result)
    }

    deinit {
        connection.close()
    }
}
