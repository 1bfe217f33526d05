import GLMWire
import NIOCore
import NIOPosix

/// The home agent's UDP socket on the signaling port: datagrams in, with their source,
/// and datagrams out.
final class SignalingChannel: Sendable {
    let channel: Channel
    let localAddress: IPv4Address

    struct Datagram: Sendable {
        let bytes: ByteBuffer
        let from: IPv4Address
        let port: UInt16
    }

    /// Binds `address:port` and hands every datagram to `receive`.
    static func bind(address: IPv4Address, port: UInt16, group: EventLoopGroup,
                     receive: @escaping @Sendable (Datagram) -> Void) async throws -> SignalingChannel {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Receiver(receive: receive))
                }
            }
            .bind(host: address.description, port: Int(port))
            .get()
        return SignalingChannel(channel: channel, localAddress: address)
    }

    private init(channel: Channel, localAddress: IPv4Address) {
        self.channel = channel
        self.localAddress = localAddress
    }

    func send(_ bytes: ByteBuffer, to address: IPv4Address, port: UInt16) async throws {
        let remote = try SocketAddress(ipAddress: address.description, port: Int(port))
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: bytes))
    }

    func close() async {
        try? await channel.close()
    }

    /// The port actually bound (useful when asked for port 0).
    var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    private final class Receiver: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let receive: @Sendable (Datagram) -> Void

        init(receive: @escaping @Sendable (Datagram) -> Void) { self.receive = receive }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard case .v4(let address) = envelope.remoteAddress else { return }
            let from = IPv4Address(rawValue: UInt32(bigEndian: address.address.sin_addr.s_addr))
            receive(Datagram(bytes: envelope.data, from: from, port: UInt16(envelope.remoteAddress.port ?? 0)))
        }
    }
}
