import Foundation

/// Fixed-width text for people: tables, durations, byte counts.
enum Columns {
    /// `lines` (a header first) in left-aligned columns two spaces apart.
    static func table(_ lines: [[String]]) -> String {
        let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            var text = zip(line, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }.joined(separator: "\n") + "\n"
    }

    /// `5s`, `3m`, `2h`; `expired` for a time past.
    static func duration(_ seconds: Double) -> String {
        let value = Int(seconds.rounded())
        if value < 0 { return "expired" }
        if value < 120 { return "\(value)s" }
        if value < 7200 { return "\(value / 60)m" }
        return "\(value / 3600)h"
    }

    /// `3s ago`, or `never`.
    static func ago(_ seconds: Double?) -> String {
        seconds.map { "\(duration($0)) ago" } ?? "never"
    }

    static func milliseconds(_ value: Double?) -> String {
        value.map { String(format: "%.1f ms", $0) } ?? "-"
    }

    /// `1.2 MiB`.
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
