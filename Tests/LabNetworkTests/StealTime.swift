import Foundation

/// The processor time the host took from this machine, from `/proc/stat`'s steal column
/// summed over all processors; nil where the kernel does not count it.
enum StealTime {
    static func milliseconds() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard fields.count >= 8 else { return nil }
        return fields[7] * 1000 / Int(sysconf(Int32(_SC_CLK_TCK)))
    }
}
