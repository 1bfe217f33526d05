import GLMWire
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// An agent's UDP socket on the signaling port: datagrams in, with their source,
/// and datagrams out.
package final class SignalingChannel: Sendable {
    package let channel: Channel
    package let localAddress: IPv4Address

    package struct Datagram: Sendable {
        package let bytes: ByteBuffer
        package let from: IPv4Address
        package let port: UInt16
    }

    /// Binds `address:port` and hands every datagram to `receive`.
    package static func bind(address: IPv4Address, port: UInt16, group: EventLoopGroup,
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

    /// Queues several datagrams and flushes them together: one hop to the event loop for
    /// a whole batch of replies. A datagram the socket cannot send is dropped, as
    /// UDP would; the protocol's retransmissions cover it.
    package func send(batch: [(bytes: ByteBuffer, to: IPv4Address, port: UInt16)]) {
        guard !batch.isEmpty else { return }
        let channel = self.channel
        let envelopes = batch.map { AddressedEnvelope(remoteAddress: Self.socketAddress($0.to, $0.port), data: $0.bytes) }
        channel.eventLoop.execute {
            for envelope in envelopes { channel.write(envelope, promise: nil) }
            channel.flush()
        }
    }

    package static func socketAddress(_ address: IPv4Address, _ port: UInt16) -> SocketAddress {
        var raw = sockaddr_in()
        raw.sin_family = sa_family_t(AF_INET)
        raw.sin_port = port.bigEndian
        raw.sin_addr.s_addr = address.rawValue.bigEndian
        return SocketAddress(raw, host: "")
    }

    package func close() async {
        try? await channel.close()
    }

    /// The port actually bound (useful when asked for port 0).
    package var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

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
