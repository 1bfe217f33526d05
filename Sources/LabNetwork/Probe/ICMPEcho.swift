import GLMWire

/// The prober's ICMP echo messages: a request carrying a 32-bit probe number (the 16-bit
/// sequence number wraps after 65,536 probes) and the reply that echoes it.
enum ICMPEcho {
    /// Octets after the 8-octet ICMP header: the probe number, then a fixed filler.
    static let payloadSize = 32
    private static let filler = Array("GLM lab probe, echo me back.".utf8)

    /// An echo request (type 8) from `identifier` carrying `number`.
    static func request(identifier: UInt16, number: UInt32) -> [UInt8] {
        var message: [UInt8] = [8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xff),
                                UInt8(number >> 8 & 0xff), UInt8(number & 0xff)]
        message += [UInt8(number >> 24), UInt8(number >> 16 & 0xff), UInt8(number >> 8 & 0xff), UInt8(number & 0xff)]
        message += filler.prefix(payloadSize - 4)
        let checksum = internetChecksum(message)
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xff)
        return message
    }

    /// An echo reply's probe number and TTL, from an IPv4 packet as a raw socket receives
    /// it (header included); nil unless it is an echo reply from `source` to `identifier`.
    static func reply(in packet: UnsafeRawBufferPointer, from source: IPv4Address,
                      identifier: UInt16) -> (number: UInt32, ttl: UInt8)? {
        guard packet.count >= 20, packet[0] >> 4 == 4 else { return nil }
        let headerLength = Int(packet[0] & 0x0f) * 4
        let word = { (offset: Int) in (offset..<offset + 4).reduce(UInt32(0)) { $0 << 8 | UInt32(packet[$1]) } }
        guard packet.count >= headerLength + 12, word(12) == source.rawValue,
              packet[headerLength] == 0, packet[headerLength + 1] == 0,
              UInt16(packet[headerLength + 4]) << 8 | UInt16(packet[headerLength + 5]) == identifier else { return nil }
        return (word(headerLength + 8), packet[8])
    }
}
