import GLMWire
import NIOCore

/// The fields of an IPv4 header the data plane reads, from a packet that starts with one.
struct IPv4Header {
    var source: IPv4Address
    var destination: IPv4Address
    var headerLength: Int
    var totalLength: Int
    var protocolNumber: UInt8

    init?(_ packet: ByteBuffer) {
        let start = packet.readerIndex
        guard packet.readableBytes >= 20, let first = packet.getInteger(at: start, as: UInt8.self),
              first >> 4 == 4, first & 0x0f >= 5,
              let total = packet.getInteger(at: start + 2, as: UInt16.self),
              let protocolNumber = packet.getInteger(at: start + 9, as: UInt8.self),
              let source = packet.getInteger(at: start + 12, as: UInt32.self),
              let destination = packet.getInteger(at: start + 16, as: UInt32.self) else { return nil }
        self.source = IPv4Address(rawValue: source)
        self.destination = IPv4Address(rawValue: destination)
        self.headerLength = Int(first & 0x0f) * 4
        self.totalLength = Int(total)
        self.protocolNumber = protocolNumber
    }
}
