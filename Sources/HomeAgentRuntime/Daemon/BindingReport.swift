import AgentRuntime
import Foundation
import GLMWire
import HomeAgentCore

/// The binding cache as operators read it: JSON from the control socket, and a table.
public enum BindingReport {
    /// One JSON object per binding, in MAC order.
    public static func json(_ bindings: [Binding]) -> [UInt8] {
        let objects: [[String: Any]] = bindings.map { b in
            var object: [String: Any] = [
                "vm": b.vm.description, "address": b.homeAddress.description, "site": b.siteName,
                "siteAddress": b.siteAddress.description, "sitePort": Int(b.sitePort),
                "registeredAt": b.registeredAt, "expiresAt": b.expiresAt, "lifetimeSeconds": b.lifetime,
                "sequenceNumber": Int(b.sequenceNumber), "timestamp": b.timestamp.secondsSince1970,
            ]
            switch b.framing {
            case .bare: object["framing"] = "udp"
            case .tlv: object["framing"] = "udp-tlv"
            case .tlvGRE(let key):
                object["framing"] = "udp-tlv-gre"
                if let key { object["greKey"] = Int(key) }
            }
            return object
        }
        return (try? Array(JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes]))) ?? Array("[]".utf8)
    }

    /// One JSON object per preparation (make-before-break), in MAC order.
    public static func preparationsJSON(_ preparations: [Preparation]) -> [UInt8] {
        let objects: [[String: Any]] = preparations.map { p in
            ["vm": p.site.vm.description, "address": p.site.homeAddress.description, "site": p.siteName,
             "siteAddress": p.site.siteAddress.description, "expiresAt": p.expiresAt]
        }
        return (try? Array(JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes]))) ?? Array("[]".utf8)
    }

    /// Asks a running home agent for its bindings over its control socket: the JSON array
    /// as sent (with a newline), or the table.
    /// In the table, the preparations (make-before-break) under the bindings, when any.
    public static func fetch(socket: String, json: Bool) async throws -> String {
        let answer = try await ControlSocketClient.request("bindings", path: socket)
        if json { return String(decoding: answer, as: UTF8.self) + "\n" }
        var text = try table(fromJSON: answer)
        let prepared = try await ControlSocketClient.request("preparations", path: socket)
        if let rows = try? JSONSerialization.jsonObject(with: Data(prepared)) as? [[String: Any]], !rows.isEmpty {
            let now = Date().timeIntervalSince1970
            var lines = [["PREPARED VM", "ADDRESS", "AT SITE", "SITE ADDRESS", "EXPIRES IN"]]
            for row in rows {
                lines.append([row["vm"] as? String ?? "?", row["address"] as? String ?? "?", row["site"] as? String ?? "?",
                              row["siteAddress"] as? String ?? "?", duration((row["expiresAt"] as? Double ?? now) - now)])
            }
            text += "\n" + columns(lines)
        }
        return text
    }

    /// A fixed-width table of the JSON `json(_:)` produces, for people.
    public static func table(fromJSON bytes: [UInt8], now: Double = Date().timeIntervalSince1970) throws -> String {
        guard let rows = try JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]] else {
            throw CocoaError(.propertyListReadCorrupt)
        }
        var lines = [["VM", "ADDRESS", "SITE", "SITE ADDRESS", "FRAMING", "AGE", "EXPIRES IN"]]
        for row in rows {
            let registered = row["registeredAt"] as? Double ?? now
            let expires = row["expiresAt"] as? Double ?? now
            lines.append([row["vm"] as? String ?? "?", row["address"] as? String ?? "?", row["site"] as? String ?? "?",
                          row["siteAddress"] as? String ?? "?", row["framing"] as? String ?? "?",
                          duration(now - registered), duration(expires - now)])
        }
        return columns(lines)
    }

    /// `lines` (a header first) in left-aligned columns two spaces apart.
    static func columns(_ lines: [[String]]) -> String {
        let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            zip(line, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    static func duration(_ seconds: Double) -> String {
        let value = Int(seconds.rounded())
        if value < 0 { return "expired" }
        if value < 120 { return "\(value)s" }
        if value < 7200 { return "\(value / 60)m" }
        return "\(value / 3600)h"
    }
}
