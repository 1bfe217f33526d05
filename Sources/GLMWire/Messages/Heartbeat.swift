/// A Heartbeat, MH Type 13 (RFC 5847 §3.3): each agent asks whether its peer is alive,
/// and the Restart Counter option tells whether the peer restarted.
public struct Heartbeat: Hashable, Sendable {
    public static let mobilityHeaderType: UInt8 = 13

    public var flags: Flags
    public var sequenceNumber: UInt32
    public var options: [MobilityOption]

    public init(flags: Flags = [], sequenceNumber: UInt32, options: [MobilityOption] = []) {
        self.flags = flags
        self.sequenceNumber = sequenceNumber
        self.options = options
    }

    /// Whether this answers a request (R flag).
    public var isResponse: Bool { flags.contains(.response) }

    /// The low bits of the 16-bit field after the MH header.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// Unsolicited: sent without a request.
        public static let unsolicited = Flags(rawValue: 0x0002)
        /// A response to a Heartbeat request.
        public static let response = Flags(rawValue: 0x0001)
    }
}
