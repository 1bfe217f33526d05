import Foundation
import NIOCore
import NIOPosix

/// The agent's local control socket: a Unix stream socket where each connection sends one
/// request line (`bindings`, `status`, ...) and reads one JSON answer until close.
///
/// Only local users who can open the socket file can talk to the agent; the file is
/// created with mode 0660 in a directory the agent creates if missing.
public final class ControlSocket: Sendable {
    private let channel: Channel
    public let path: String

    /// Binds `path` (replacing a stale socket file) and answers each request with `answer`.
    public static func bind(path: String, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            answer: @escaping @Sendable (String) async -> [UInt8]) async throws -> ControlSocket {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        let channel = try await ServerBootstrap(group: group)
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
        let answer: @Sendable (String) async -> [UInt8]

        init(answer: @escaping @Sendable (String) async -> [UInt8]) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let request = unwrapInboundIn(data)
            let answer = self.answer
            let channel = context.channel
            Task {
                let body = await answer(request)
                try? await channel.writeAndFlush(ByteBuffer(bytes: body))
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

/// Sends one request to a control socket and returns the whole answer.
public enum ControlSocketClient {
    /// Sends `notify EVENT VM` (what hooks tell an agent); nil once the agent took it,
    /// else its answer.
    public static func notify(_ event: String, vm: String, path: String) async throws -> String? {
        let answer = String(decoding: try await request("notify \(event) \(vm)", path: path), as: UTF8.self)
        return answer.contains("\"ok\":true") ? nil : answer
    }

    public static func request(_ line: String, path: String, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> [UInt8] {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(unixDomainSocketPath: path)
            .get()
        try await channel.writeAndFlush(ByteBuffer(string: line + "\n"))
        try await channel.closeFuture.get()
        return collector.bytes
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        // Touched only on the channel's event loop, then read after close.
        var bytes: [UInt8] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bytes += unwrapInboundIn(data).readableBytesView
        }
    }
}
