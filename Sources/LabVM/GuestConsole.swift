import Foundation
import LabProcesses
import Synchronization

/// The guest's serial console (ttyS0, a shell), through QEMU's console socket: the only
/// way to ask the guest for its own configuration.
///
/// ``run(_:timeout:)`` types a command line framed by two markers the shell prints, so
/// the command's output is told apart from the terminal's echo, kernel messages and
/// earlier output. QEMU serves one console client per socket at a time.
public final class GuestConsole: Sendable {
    private struct State {
        var received: [UInt8] = []
        var closed = false
    }
    private let state = Mutex(State())
    private let connection: UnixSocketConnection
    private static let counter = Mutex(0)

    /// The socket's path.
    public var path: String { connection.path }

    private init(connection: UnixSocketConnection) {
        self.connection = connection
    }

    /// Connects to the console socket at `path`, retrying while QEMU has not created it.
    public static func connect(path: String, timeout: Duration = .seconds(10)) async throws -> GuestConsole {
        let connection = try await UnixSocketConnection.connectWhenReady(path: path, timeout: timeout, code: .console, what: "console socket")
        let console = GuestConsole(connection: connection)
        connection.startReading(name: "console \(path)", received: { [weak console] bytes in
            console?.state.withLock { $0.received.append(contentsOf: bytes) }
        }, ended: { [weak console] in
            console?.state.withLock { $0.closed = true }
        })
        return console
    }

    /// Everything the console printed since the connection, terminal echo included.
    public var transcript: String { String(decoding: state.withLock { $0.received }, as: UTF8.self) }

    /// Waits until the guest's shell answers a command (the guest has booted and its
    /// init has configured `eth0`).
    public func waitForShell(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        // Each probe waits longer than the last (1, 2, 4, 4… s): a slow guest's answer to
        // an earlier probe is not mistaken for this one's, and is not needed.
        var patience = Duration.seconds(1)
        while true {
            do {
                _ = try await run("true", timeout: patience)
                return
            } catch let error as LabVMError where error.code == .timeout && ContinuousClock.now < deadline {
                patience = min(patience * 2, .seconds(4))
                continue
            } catch let error as LabVMError where error.code == .timeout {
                throw LabVMError(.timeout, "the guest's shell did not answer on \(path) within \(timeout); "
                    + "console so far: \(transcript.suffix(400))")
            }
        }
    }

    /// Runs `command` in the guest's shell and returns what it printed (lines joined by
    /// `\n`). Throws when the command exits non-zero or no answer comes in `timeout`.
    @discardableResult
    public func run(_ command: String, timeout: Duration = .seconds(10)) async throws -> String {
        let number = Self.counter.withLock { value in
            value += 1
            return value
        }
        let id = "\(number)-\(UUID().uuidString.prefix(8))"
        let begin = "GLM-BEGIN-\(id)"
        let end = "GLM-END-\(id)"
        // The quotes split each marker in the typed line, so only the shell's output
        // contains the marker itself, not the terminal's echo of what was typed.
        let line = "echo GLM-BEGIN\"\"-\(id); \(command); echo GLM-END\"\"-\(id) $?\n"
        let start = state.withLock { $0.received.count }
        do {
            try connection.write(Array(line.utf8))
        } catch {
            throw LabVMError(.console, "writing to the console \(path): \(error)")
        }

        var answer: (output: String, status: Int)?
        _ = await waitUntil(timeout: timeout) {
            let (bytes, closed) = state.withLock { (Array($0.received[start...]), $0.closed) }
            answer = Self.answer(in: String(decoding: bytes, as: UTF8.self), begin: begin, end: end)
            return answer != nil || closed
        }
        guard let answer else {
            if state.withLock({ $0.closed }) {
                throw LabVMError(.console, "the console \(path) closed while running `\(command)`")
            }
            throw LabVMError(.timeout, "`\(command)` gave no answer on the console \(path) within \(timeout)")
        }
        guard answer.status == 0 else {
            throw LabVMError(.console, "`\(command)` exited with status \(answer.status) in the guest: \(answer.output)")
        }
        return answer.output
    }

    /// The command's output between the two marker lines and its exit status, once the
    /// end marker's line is complete.
    static func answer(in text: String, begin: String, end: String) -> (output: String, status: Int)? {
        let lines = text.replacingOccurrences(of: "\r", with: "").split(separator: "\n", omittingEmptySubsequences: false)
        // The last element is an incomplete line (or empty after a final newline).
        let complete = lines.dropLast()
        guard let first = complete.firstIndex(where: { $0 == begin }),
              let last = complete[first...].firstIndex(where: { $0.hasPrefix(end + " ") }),
              let status = Int(complete[last].dropFirst(end.count + 1).trimmingCharacters(in: .whitespaces)) else {
            return nil
        }
        let output = complete[complete.index(after: first)..<last].joined(separator: "\n")
        return (output, status)
    }

    /// The guest's IPv4 configuration of `interface`, read with `ip` in the guest.
    public func networkConfiguration(interface: String = "eth0",
                                     timeout: Duration = .seconds(10)) async throws -> GuestNetworkConfiguration {
        let commands = GuestNetworkConfiguration.commands(interface: interface)
        let addresses = try await run(commands.address, timeout: timeout)
        let routes = try await run(commands.route, timeout: timeout)
        return GuestNetworkConfiguration(interface: interface, addressOutput: addresses, routeOutput: routes)
    }

    /// Ends the connection (the guest's shell keeps running; a later client may connect).
    public func close() {
        connection.close()
    }

    deinit {
        connection.close()
    }
}
