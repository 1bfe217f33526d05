/// An option's alignment requirement "xn+y" (RFC 6275 §6.2): its Type byte must sit at
/// an offset from the start of the Mobility Header that is `offset` more than a
/// multiple of `multiple`.
public struct OptionAlignment: Hashable, Sendable {
    public let multiple: Int
    public let offset: Int

    public init(multiple: Int, offset: Int) {
        precondition(multiple > 0 && offset >= 0 && offset < multiple, "alignment \(multiple)n+\(offset)")
        self.multiple = multiple
        self.offset = offset
    }

    /// No requirement.
    public static let none = OptionAlignment(multiple: 1, offset: 0)

    /// Whether an option's Type byte may sit at `position`.
    public func accepts(_ position: Int) -> Bool {
        position % multiple == offset
    }

    /// How many padding octets bring `position` to the next acceptable offset.
    public func padding(at position: Int) -> Int {
        (offset - position % multiple + multiple) % multiple
    }

    /// The requirement of each option type this profile sends.
    public static func forType(_ type: UInt8) -> OptionAlignment {
        switch type {
        // RFC 5213 §8.8 Timestamp: 8n+2.
        case MobilityOptionType.timestamp: OptionAlignment(multiple: 8, offset: 2)
        // RFC 5213 §8.6 Mobile Node Link-layer Identifier: "aligned appropriately" for its
        // size; 8n+2 puts the identifier on an 8-octet boundary whatever its size.
        case MobilityOptionType.linkLayerIdentifier: OptionAlignment(multiple: 8, offset: 2)
        // RFC 5847 §3.4 Restart Counter, RFC 5094 §3 Vendor Specific: 4n+2.
        case MobilityOptionType.restartCounter, MobilityOptionType.vendorSpecific: OptionAlignment(multiple: 4, offset: 2)
        // RFC 4285 §5 Mobility Message Authentication: 4n+1.
        case MobilityOptionType.authentication: OptionAlignment(multiple: 4, offset: 1)
        // RFC 5845 §6.1 GRE Key; RFC 5844 §3.3 IPv4 HoA Request, Reply, Default Router: 4n.
        case MobilityOptionType.greKey, MobilityOptionType.ipv4HomeAddressRequest,
             MobilityOptionType.ipv4HomeAddressReply, MobilityOptionType.ipv4DefaultRouterAddress:
            OptionAlignment(multiple: 4, offset: 0)
        // RFC 4283 MN-ID, RFC 5213 §8.4-8.5 HI and ATT: no requirement.
        default: .none
        }
    }
}
