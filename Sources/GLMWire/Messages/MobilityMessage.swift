/// A signaling message of this profile: one case per message, each wrapping its value.
public enum MobilityMessage: Hashable, Sendable {
    case proxyBindingUpdate(ProxyBindingUpdate)
    case proxyBindingAcknowledgement(ProxyBindingAcknowledgement)
    case heartbeat(Heartbeat)
    case bindingRevocationIndication(BindingRevocationIndication)
    case bindingRevocationAcknowledgement(BindingRevocationAcknowledgement)

    /// MH Type of Binding Revocation messages (RFC 5846 §8).
    public static let bindingRevocationType: UInt8 = 16

    /// The MH Type byte.
    public var mobilityHeaderType: UInt8 {
        switch self {
        case .proxyBindingUpdate: ProxyBindingUpdate.mobilityHeaderType
        case .proxyBindingAcknowledgement: ProxyBindingAcknowledgement.mobilityHeaderType
        case .heartbeat: Heartbeat.mobilityHeaderType
        case .bindingRevocationIndication, .bindingRevocationAcknowledgement: Self.bindingRevocationType
        }
    }

    /// The message's options, in order (padding and authentication excluded).
    public var options: [MobilityOption] {
        switch self {
        case .proxyBindingUpdate(let m): m.options
        case .proxyBindingAcknowledgement(let m): m.options
        case .heartbeat(let m): m.options
        case .bindingRevocationIndication(let m): m.options
        case .bindingRevocationAcknowledgement(let m): m.options
        }
    }

    /// A short name for logs and JSON.
    public var name: String {
        switch self {
        case .proxyBindingUpdate: "proxy-binding-update"
        case .proxyBindingAcknowledgement: "proxy-binding-acknowledgement"
        case .heartbeat: "heartbeat"
        case .bindingRevocationIndication: "binding-revocation-indication"
        case .bindingRevocationAcknowledgement: "binding-revocation-acknowledgement"
        }
    }
}
