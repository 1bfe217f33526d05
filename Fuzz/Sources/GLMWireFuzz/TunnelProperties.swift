import GLMWire
import NIOCore

/// What must hold for any octets offered to the tunnel decoder.
///
/// * Decoding never crashes and does not depend on where the readable bytes start.
/// * A decoded frame's inner packet is an IPv4 packet whose addresses can be read, and
///   it lies within the input.
/// * Encoding the frame's packet in the frame's format decodes to the same frame.
enum TunnelProperties {
    static func check(_ bytes: [UInt8]) {
        let buffer = ByteBuffer(bytes: bytes)
        let decoded = decode(buffer)
        let fromShifted = decode(shiftedBuffer(bytes))
        require(fromShifted == decoded, "tunnel decoding depends on the reader index: \(fromShifted) vs \(decoded)")
        guard case .success(let frame) = decoded else { return }

        _ = frame.innerSource
        _ = frame.innerDestination
        require(frame.packet.readableBytes + TunnelFrame.overhead(frame.format) <= bytes.count,
                "an inner packet of \(frame.packet.readableBytes) octets in \(bytes.count) octets as \(frame.format)")

        var encoded = ByteBuffer()
        do throws(TunnelFrameError) {
            try TunnelFrame.encode(frame.packet, format: frame.format, into: &encoded)
        } catch {
            fatalError("re-encoding a decoded tunnel frame (\(frame.format)) failed: \(error)")
        }
        let again = decode(encoded)
        require(again == .success(frame), "tunnel round trip changed the frame: \(frame) became \(again)")
    }

    private static func decode(_ buffer: ByteBuffer) -> Result<TunnelFrame, TunnelFrameError> {
        Result { () throws(TunnelFrameError) in try TunnelFrame(decoding: buffer) }
    }
}
