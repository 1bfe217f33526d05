import Foundation
import GLMWire

/// Writes decoded signaling to standard output, as text lines or JSON lines.
struct SignalingOutput {
    struct Record {
        var frame: Int
        var time: Double
        var source: IPv4Address
        var sourcePort: UInt16
        var destination: IPv4Address
        var destinationPort: UInt16
        var header: MobilityHeader? = nil
        var verdict: AuthenticationVerdict? = nil

        var addressFields: [String: Any] {
            ["frame": frame, "time": time, "source": source.description, "sourcePort": Int(sourcePort),
             "destination": destination.description, "destinationPort": Int(destinationPort)]
        }

        var prefix: String {
            "\(Self.clock(time)) \(source):\(sourcePort) > \(destination):\(destinationPort)"
        }

        static func clock(_ time: Double) -> String {
            let whole = time.rounded(.down)
            let seconds = Int(whole)
            let micros = Int(((time - whole) * 1_000_000).rounded())
            let day = seconds % 86_400
            return String(format: "%02d:%02d:%02d.%06d", day / 3600, (day / 60) % 60, day % 60, min(micros, 999_999))
        }
    }

    let json: Bool

    mutating func emit(_ record: Record) {
        guard let header = record.header else { return }
        if json {
            var fields = record.addressFields.merging(SignalingDescription.fields(of: header)) { $1 }
            if var auth = fields["authentication"] as? [String: Any] {
                auth["verdict"] = record.verdict?.name ?? "not-checked"
                fields["authentication"] = auth
            }
            write(fields)
        } else {
            print("\(record.prefix) \(SignalingDescription.line(of: header, verdict: record.verdict))")
        }
    }

    mutating func emitError(_ record: Record, code: String, offset: Int, reason: String) {
        if json {
            var fields = record.addressFields
            fields["error"] = code
            fields["offset"] = offset
            fields["reason"] = reason
            write(fields)
        } else {
            print("\(record.prefix) ERROR \(code) at offset \(offset): \(reason)")
        }
    }

    private func write(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
    }
}
