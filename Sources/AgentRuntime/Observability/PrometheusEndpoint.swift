import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP endpoint that answers `GET /metrics` with the Prometheus text format.
///
/// `render` is called for every scrape; anything but GET /metrics gets a 404.
public final class PrometheusEndpoint: Sendable {
    private let channel: Channel

    public static func bind(host: String, port: Int, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            render: @escaping @Sendable () -> [UInt8]) async throws -> PrometheusEndpoint {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Responder(render: render))
                }
            }
            .bind(host: host, port: port)
            .get()
        return PrometheusEndpoint(channel: channel)
    }

    private init(channel: Channel) { self.channel = channel }

    /// The port bound (useful when asked for port 0).
    public var port: Int { channel.localAddress?.port ?? 0 }

    public func close() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let render: @Sendable () -> [UInt8]

        init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let request) = unwrapInboundIn(data) else { return }
            let found = request.method == .GET && (request.uri == "/metrics" || request.uri.hasPrefix("/metrics?"))
            let body = found ? render() : Array("not found\n".utf8)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
            headers.add(name: "Content-Length", value: String(body.count))
            headers.add(name: "Connection", value: "close")
            let head = HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context] _ in
                context.close(promise: nil)
            }
        }
    }
}
