/// Offsets and flag bits of the TCP header (RFC 9293 §3.1) the offload paths touch.
enum TCPField {
    static let sequence = 4
    static let acknowledgement = 8
    static let flags = 13
    static let checksum = 16
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08
    static let urg: UInt8 = 0x20
    static let cwr: UInt8 = 0x80
}

