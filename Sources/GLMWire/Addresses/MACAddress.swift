/// An IEEE EUI-48 (Ethernet MAC) address: six octets, network order.
///
/// This is how a VM is known on the wire: the source of QEMU's announce and the
/// EUI-48 Mobile Node Identifier the site agent registers.
public struct MACAddress: Hashable, Sendable, Comparable {
    /// The address in the low 48 bits, first octet most significant.
    public let rawValue: UInt64

    /// Creates an address from its low 48 bits; higher bits must be zero.
    public init?(rawValue: UInt64) {
        guard rawValue >> 48 == 0 else { return nil }
        self.rawValue = rawValue
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        self.rawValue = UInt64(a) << 40 | UInt64(b) << 32 | UInt64(c) << 24
            | UInt64(d) << 16 | UInt64(e) << 8 | UInt64(f)
    }

    /// Creates an address from exactly six octets.
    public init?(octets: some Collection<UInt8>) {
        guard octets.count == 6 else { return nil }
        var value: UInt64 = 0
        for octet in octets { value = value << 8 | UInt64(octet) }
        self.rawValue = value
    }

    public static let broadcast = MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    public static let zero = MACAddress(0, 0, 0, 0, 0, 0)

    /// The six octets, first on the wire first.
    public var octets: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (40 - 8 * UInt64($0))) }
    }

    /// Whether the group bit (least significant bit of the first octet) is set.
    public var isMulticast: Bool { (rawValue >> 40) & 1 == 1 }

    /// Parses `52:54:00:12:34:56` (also with `-` separators), case-insensitive.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.rawValue = value
    }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension MACAddress: CustomStringConvertible {
    public var description: String {
        octets.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}
