/// The IPv4 Protocol field: what the payload is (IANA "Assigned Internet Protocol Numbers").
public struct IPProtocolNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let icmp = IPProtocolNumber(rawValue: 1)
    /// IPv4 encapsulated in IPv4.
    public static let ipv4 = IPProtocolNumber(rawValue: 4)
    public static let tcp = IPProtocolNumber(rawValue: 6)
    public static let udp = IPProtocolNumber(rawValue: 17)
    public static let gre = IPProtocolNumber(rawValue: 47)

    public var description: String {
        switch self {
        case .icmp: "icmp"
        case .ipv4: "ipv4"
        case .tcp: "tcp"
        case .udp: "udp"
        case .gre: "gre"
        default: "protocol(\(rawValue))"
        }
    }
}
