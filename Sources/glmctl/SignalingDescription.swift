import Foundation
import GLMWire

/// A decoded message as JSON-ready fields and as one line of text.
///
/// Every field and option is named the way `Docs/protocol.md` names it; numbers stay
/// numbers so that tools can compare them.
enum SignalingDescription {
    static func fields(of header: MobilityHeader) -> [String: Any] {
        var fields: [String: Any] = ["message": header.message.name, "mhType": Int(header.message.mobilityHeaderType)]
        switch header.message {
        case .proxyBindingUpdate(let m):
            fields["sequenceNumber"] = Int(m.sequenceNumber)
            fields["flags"] = flagNames(m.flags.rawValue, [(0x8000, "A"), (0x4000, "H"), (0x2000, "L"), (0x1000, "K"), (0x0800, "M"),
                                                          (0x0400, "R"), (0x0200, "P"), (0x0100, "F"), (0x0080, "T"), (0x0040, "B")])
            fields["lifetimeSeconds"] = m.lifetimeSeconds
        case .proxyBindingAcknowledgement(let m):
            fields["status"] = Int(m.status.rawValue)
            if let name = m.status.name { fields["statusName"] = name }
            fields["flags"] = flagNames(UInt16(m.flags.rawValue), [(0x80, "K"), (0x40, "R"), (0x20, "P"), (0x10, "T"), (0x08, "B")])
            fields["sequenceNumber"] = Int(m.sequenceNumber)
            fields["lifetimeSeconds"] = m.lifetimeSeconds
        case .heartbeat(let m):
            fields["sequenceNumber"] = Int(m.sequenceNumber)
            fields["flags"] = flagNames(m.flags.rawValue, [(0x0002, "U"), (0x0001, "R")])
        case .bindingRevocationIndication(let m):
            fields["trigger"] = Int(m.trigger.rawValue)
            if let name = m.trigger.name { fields["triggerName"] = name }
            fields["sequenceNumber"] = Int(m.sequenceNumber)
            fields["flags"] = flagNames(m.flags.rawValue, revocationFlags)
        case .bindingRevocationAcknowledgement(let m):
            fields["status"] = Int(m.status.rawValue)
            if let name = m.status.name { fields["statusName"] = name }
            fields["sequenceNumber"] = Int(m.sequenceNumber)
            fields["flags"] = flagNames(m.flags.rawValue, revocationFlags)
        }
        fields["options"] = header.message.options.map(optionFields)
        if let auth = header.authentication {
            fields["authentication"] = ["subtype": Int(auth.subtype), "spi": Int(auth.spi),
                                        "authenticator": auth.authenticator.hexString] as [String: Any]
        }
        return fields
    }

    private static let revocationFlags: [(UInt16, String)] = [(0x8000, "P"), (0x4000, "V"), (0x2000, "G")]

    private static func flagNames(_ value: UInt16, _ names: [(UInt16, String)]) -> [String] {
        names.filter { value & $0.0 != 0 }.map(\.1)
    }

    static func optionFields(_ option: MobilityOption) -> [String: Any] {
        var fields: [String: Any] = ["type": Int(option.type)]
        switch option {
        case .mobileNodeIdentifier(let id):
            fields["name"] = "mobile-node-identifier"
            fields["subtype"] = Int(id.subtype)
            switch id {
            case .eui48(let mac): fields["identifier"] = mac.description
            case .nai(let name): fields["identifier"] = name
            case .other(_, let bytes): fields["identifier"] = bytes.hexString
            }
        case .handoffIndicator(let value):
            fields["name"] = "handoff-indicator"
            fields["value"] = Int(value.rawValue)
        case .accessTechnologyType(let value):
            fields["name"] = "access-technology-type"
            fields["value"] = Int(value.rawValue)
        case .linkLayerIdentifier(let bytes):
            fields["name"] = "link-layer-identifier"
            fields["identifier"] = bytes.hexString
        case .timestamp(let stamp):
            fields["name"] = "timestamp"
            fields["seconds"] = Int(stamp.seconds)
            fields["fraction"] = Int(stamp.fraction)
            fields["raw"] = String(stamp.rawValue, radix: 16)
        case .restartCounter(let value):
            fields["name"] = "restart-counter"
            fields["value"] = Int(value)
        case .greKey(let key):
            fields["name"] = "gre-key"
            if let key { fields["key"] = Int(key) }
        case .ipv4HomeAddressRequest(let request):
            fields["name"] = "ipv4-home-address-request"
            fields["address"] = request.address.description
            fields["prefixLength"] = Int(request.prefixLength)
        case .ipv4HomeAddressReply(let reply):
            fields["name"] = "ipv4-home-address-reply"
            fields["status"] = Int(reply.status.rawValue)
            fields["address"] = reply.address.description
            fields["prefixLength"] = Int(reply.prefixLength)
        case .ipv4DefaultRouterAddress(let address):
            fields["name"] = "ipv4-default-router-address"
            fields["address"] = address.description
        case .vendorSpecific(let option):
            fields["name"] = option == .prepare ? "glm-prepare" : "vendor-specific"
            fields["vendorId"] = Int(option.vendorID)
            fields["subtype"] = Int(option.subtype)
            fields["data"] = option.data.hexString
        case .unknown(let unknown):
            fields["name"] = "unknown"
            fields["data"] = unknown.data.hexString
        }
        return fields
    }

    /// One line for people: the message, its numbers and its options.
    static func line(of header: MobilityHeader, verdict: AuthenticationVerdict?) -> String {
        var parts: [String] = []
        switch header.message {
        case .proxyBindingUpdate(let m):
            parts.append("PBU seq \(m.sequenceNumber) flags \(flagNames(m.flags.rawValue, [(0x8000, "A"), (0x0200, "P"), (0x0100, "F"), (0x0080, "T")]).joined(separator: ",")) lifetime \(m.lifetimeSeconds)s")
        case .proxyBindingAcknowledgement(let m):
            parts.append("PBA status \(m.status) seq \(m.sequenceNumber) lifetime \(m.lifetimeSeconds)s")
        case .heartbeat(let m):
            parts.append("Heartbeat \(m.isResponse ? "response" : "request") seq \(m.sequenceNumber)")
        case .bindingRevocationIndication(let m):
            parts.append("BRI trigger \(m.trigger.rawValue)\(m.trigger.name.map { " (\($0))" } ?? "") seq \(m.sequenceNumber)")
        case .bindingRevocationAcknowledgement(let m):
            parts.append("BRA status \(m.status.rawValue)\(m.status.name.map { " (\($0))" } ?? "") seq \(m.sequenceNumber)")
        }
        for option in header.message.options {
            switch option {
            case .mobileNodeIdentifier(let id): parts.append("mn-id \(id)")
            case .handoffIndicator(let hi): parts.append("hi \(hi.rawValue)")
            case .accessTechnologyType(let att): parts.append("att \(att.rawValue)")
            case .linkLayerIdentifier(let bytes): parts.append("ll-id \(bytes.hexString)")
            case .timestamp(let stamp): parts.append("ts " + String(format: "%.6f", stamp.secondsSince1970))
            case .restartCounter(let value): parts.append("restart-counter \(value)")
            case .greKey(let key): parts.append("gre-key \(key.map(String.init) ?? "none")")
            case .ipv4HomeAddressRequest(let r): parts.append("hoa-request \(r.address)/\(r.prefixLength)")
            case .ipv4HomeAddressReply(let r): parts.append("hoa-reply \(r.address)/\(r.prefixLength) status \(r.status.rawValue)")
            case .ipv4DefaultRouterAddress(let a): parts.append("default-router \(a)")
            case .vendorSpecific(let v):
                parts.append(v == .prepare ? "glm-prepare" : "vsm \(v.vendorID)/\(v.subtype) \(v.data.hexString)")
            case .unknown(let u): parts.append("option-\(u.type) \(u.data.hexString)")
            }
        }
        if let auth = header.authentication {
            parts.append("auth spi \(auth.spi)" + (verdict.map { " \($0.name)" } ?? ""))
        }
        return parts.joined(separator: " ")
    }
}
