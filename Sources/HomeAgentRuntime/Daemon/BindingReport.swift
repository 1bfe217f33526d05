import GLMControl
import GLMWire
import HomeAgentCore

/// The binding cache and the preparations as the control socket answers them.
public enum BindingReport {
    /// One entry per binding, in the order given.
    public static func entries(_ bindings: [Binding]) -> [BindingEntry] {
        bindings.map { b in
            var entry = BindingEntry(vm: "\(b.vm)", address: "\(b.homeAddress)", site: b.siteName, siteAddress: "\(b.siteAddress)",
                                     sitePort: Int(b.sitePort), registeredAt: b.registeredAt, expiresAt: b.expiresAt,
                                     lifetimeSeconds: b.lifetime, sequenceNumber: Int(b.sequenceNumber),
                                     timestamp: b.timestamp.secondsSince1970, framing: "udp")
            switch b.framing {
            case .bare: entry.framing = "udp"
            case .tlv: entry.framing = "udp-tlv"
            case .tlvGRE(let key):
                entry.framing = "udp-tlv-gre"
                entry.greKey = key
            }
            return entry
        }
    }

    /// One entry per preparation (make-before-break), in the order given.
    public static func entries(_ preparations: [Preparation]) -> [PreparationEntry] {
        preparations.map { p in
            PreparationEntry(vm: "\(p.site.vm)", address: "\(p.site.homeAddress)", site: p.siteName,
                             siteAddress: "\(p.site.siteAddress)", expiresAt: p.expiresAt)
        }
    }
}
