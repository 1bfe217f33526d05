import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Talks to an agent's control socket: one ``ControlRequest`` a connection, its answer
/// read until the agent closes, all within a deadline; or a `watch` stream.
public struct ControlClient: Sendable {
    public let path: String
    /// How long one call may take, from connecting to the last byte of the answer.
    public let deadline: Duration

    public init(path: String, deadline: Duration = .seconds(5)) {
        self.path = path
        self.deadline = deadline
    }

    /// The answer to `request` decoded as `Answer`; an agent's `{"error":…}` is thrown
    /// as a ``ControlFailure``.
    public func call<Answer: Decodable>(_ request: ControlRequest, as answer: Answer.Type = Answer.self) async throws -> Answer {
        let bytes = try await raw(request)
        if let failure = try? JSONDecoder().decode(ControlFailure.self, from: Data(bytes)) { throw failure }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(bytes))
        } catch {
            throw ControlClientError.unreadableAnswer(path, String(decoding: bytes.prefix(300), as: UTF8.self))
        }
    }

    /// The answer's bytes as the agent sent them.
    public func raw(_ request: ControlRequest) async throws -> [UInt8] {
        try await raw(line: String(decoding: try JSONEncoder().encode(request), as: UTF8.self))
    }

    /// The answer to a line of the caller's, request or not (what a test of the agent's
    /// refusals sends).
    public func raw(line: String) async throws -> [UInt8] {
        let opened = OpenedChannel()
        return try await withDeadline {
            let connection = try await open(line, into: opened)
            var bytes: [UInt8] = []
            for try await chunk in connection.chunks {
                bytes += chunk
                if bytes.count > Self.maximumAnswer { throw ControlClientError.answerTooLong(path) }
            }
            return bytes
        } onTimeout: {
            opened.close()
        }
    }

    /// The agent's events as they happen, until the agent closes or the task is
    /// cancelled. Connecting has the deadline; the stream has none.
    public func watch() async throws -> AsyncThrowingStream<ControlEvent, Error> {
        let request = String(decoding: try JSONEncoder().encode(ControlRequest.watch), as: UTF8.self)
        let opened = OpenedChannel()
        let connection = try await withDeadline { try await open(request, into: opened) } onTimeout: { opened.close() }
        return AsyncThrowingStream { continuation in
            let task = Task {
                var pending: [UInt8] = []
                func decode(_ line: [UInt8]) throws -> ControlEvent {
                    if let failure = try? JSONDecoder().decode(ControlFailure.self, from: Data(line)) { throw failure }
                    return try JSONDecoder().decode(ControlEvent.self, from: Data(line))
                }
                do {
                    for try await chunk in connection.chunks {
                        pending += chunk
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            let line = Array(pending[..<newline])
                            pending.removeSubrange(...newline)
                            continuation.yield(try decode(line))
                        }
                    }
                    // An agent that refuses `watch` answers one object without a newline.
                    if !pending.isEmpty { continuation.yield(try decode(pending)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                connection.close()
            }
        }
    }

    /// An answer longer than this is refused (a status of thousands of VMs is far less).
    static let maximumAnswer = 64 << 20

    private struct Connection: Sendable {
        let channel: Channel
        let chunks: AsyncThrowingStream<[UInt8], Error>
        func close() { channel.close(promise: nil) }
    }

    /// The channel once connected, for the deadline to close whatever the call is doing.
    private final class OpenedChannel: Sendable {
        private let channel = Mutex<Channel?>(nil)
        private let closed = Mutex(false)

        func set(_ value: Channel) {
            channel.withLock { $0 = value }
            if closed.withLock({ $0 }) { value.close(promise: nil) }
        }

        func close() {
            closed.withLock { $0 = true }
            channel.withLock { $0 }?.close(promise: nil)
        }
    }

    private func open(_ request: String, into opened: OpenedChannel) async throws -> Connection {
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], Error>.makeStream()
        let line = Array((request + "\n").utf8)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(deadline.components.seconds * 1_000_000_000 + deadline.components.attoseconds / 1_000_000_000))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Reader(continuation: continuation))
                    }
                }
                .connect(unixDomainSocketPath: path)
                .get()
        } catch {
            throw ControlClientError.unreachable(path, "\(error)")
        }
        opened.set(channel)
        try await channel.writeAndFlush(ByteBuffer(bytes: line))
        return Connection(channel: channel, chunks: chunks)
    }

    /// Runs `body`; once `deadline` passes first, calls `onTimeout` (which makes the body
    /// end) and throws.
    private func withDeadline<T: Sendable>(_ body: @escaping @Sendable () async throws -> T,
                                           onTimeout: @escaping @Sendable () -> Void) async throws -> T {
        let deadline = self.deadline
        let path = self.path
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                onTimeout()
                throw ControlClientError.deadline(path, deadline)
            }
            return value
        }
    }

    /// Hands every read to the stream; the stream ends when the agent closes.
    private final class Reader: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncThrowingStream<[UInt8], Error>.Continuation

        init(continuation: AsyncThrowingStream<[UInt8], Error>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(Array(unwrapInboundIn(data).readableBytesView))
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            continuation.finish(throwing: error)
            context.close(promise: nil)
        }
    }
}

/// Why a control call failed before the agent answered it.
public enum ControlClientError: Error, CustomStringConvertible {
    case unreachable(String, String)
    case deadline(String, Duration)
    case answerTooLong(String)
    case unreadableAnswer(String, String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach the agent's control socket \(path): \(reason)"
        case .deadline(let path, let limit): "the agent at \(path) did not answer within \(limit)"
        case .answerTooLong(let path): "the agent at \(path) sent an answer over \(ControlClient.maximumAnswer >> 20) MiB"
        case .unreadableAnswer(let path, let text): "the agent at \(path) answered what this glmctl cannot read: \(text)"
        }
    }
}
