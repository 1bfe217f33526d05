import Foundation
import GLMControl
import NIOCore
import NIOPosix

/// What an agent does with one control request: answer it once, or stream events.
public enum ControlReply: Sendable {
    /// JSON bytes; the connection closes after them.
    case answer([UInt8])
    /// One JSON object a line, until the stream ends or the client closes.
    case events(AsyncStream<ControlEvent>)

    /// `value` as JSON with sorted keys.
    public static func encoding(_ value: some Encodable) -> ControlReply {
        .answer(encoded(value))
    }

    public static func failure(_ reason: String, draining: Bool? = nil) -> ControlReply {
        encoding(ControlFailure(reason, draining: draining))
    }

    static func encoded(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array("{\"error\":\"the answer could not be encoded\"}".utf8)
    }
}

/// The agent's local control socket: a Unix stream socket where each connection sends one
/// ``ControlRequest`` (a JSON object on one line) and reads one JSON answer until close,
/// or, for `watch`, events a line until it closes.
///
/// Only local users who can open the socket file can talk to the agent; the file is
/// created with mode 0660 in a directory the agent creates if missing.
public final class ControlSocket: Sendable {
    private let channel: Channel
    public let path: String

    /// Binds `path` (replacing a stale socket file) and answers each request with `answer`;
    /// a line that is not a request is answered with a ``ControlFailure`` saying why.
    public static func bind(path: String, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            answer: @escaping @Sendable (ControlRequest) async -> ControlReply) async throws -> ControlSocket {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        let channel = try await ServerBootstrap(group: group)
            // A client that shuts its writing side after the request (socat at the end of
            // its input) still reads the answer.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(answer: answer))
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        chmod(path, 0o660)
        return ControlSocket(channel: channel, path: path)
    }

    private init(channel: Channel, path: String) {
        self.channel = channel
        self.path = path
    }

    public func close() async {
        try? await channel.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A line's request, or why it is none.
    static func request(from line: String) -> Result<ControlRequest, ControlFailure> {
        do {
            return .success(try JSONDecoder().decode(ControlRequest.self, from: Data(line.utf8)))
        } catch {
            let requests = ControlRequest.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(ControlFailure("a request is one JSON object a line, such as {\"request\":\"status\"}; "
                + "the requests are \(requests); this line is not one: \(String(line.prefix(120)))"))
        }
    }

    /// Splits the stream into lines of at most 4 KiB.
    private struct LineDecoder: ByteToMessageDecoder {
        typealias InboundOut = String

        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                if buffer.readableBytes > 4096 { throw ControlSocketError.requestTooLong }
                return .needMoreData
            }
            let line = buffer.readString(length: newline - buffer.readerIndex) ?? ""
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(wrapInboundOut(line.trimmingCharacters(in: .whitespaces)))
            return .continue
        }
    }

    private final class RequestHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = String
        typealias OutboundOut = ByteBuffer
        let answer: @Sendable (ControlRequest) async -> ControlReply

        init(answer: @escaping @Sendable (ControlRequest) async -> ControlReply) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let line = unwrapInboundIn(data)
            let answer = self.answer
            let channel = context.channel
            Task {
                let reply: ControlReply
                switch ControlSocket.request(from: line) {
                case .success(let request): reply = await answer(request)
                case .failure(let failure): reply = .encoding(failure)
                }
                switch reply {
                case .answer(let body):
                    try? await channel.writeAndFlush(ByteBuffer(bytes: body))
                case .events(let events):
                    // Ends when the client closes (the write fails) or the agent stops.
                    let streaming = Task {
                        for await event in events {
                            guard (try? await channel.writeAndFlush(ByteBuffer(bytes: ControlReply.encoded(event) + [0x0a]))) != nil else { break }
                        }
                    }
                    channel.closeFuture.whenComplete { _ in streaming.cancel() }
                    await streaming.value
                }
                try? await channel.close()
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}

enum ControlSocketError: Error {
    case requestTooLong
}
