import Foundation

/// Where a run writes: the JSON report at the path given (`REPORT=path`), and every
/// other file — the SVG timeline, the summary, captures, probe logs, the agents' logs —
/// in a folder of their own beside it, named after the report: `/tmp/lab.json` puts them
/// in `/tmp/lab/`. By default the report is `reports/<UTC time>.json` under the current
/// folder (git ignores `reports/`).
struct ReportLocation {
    let report: String
    let folder: String

    init(report: String?) throws {
        let path = URL(fileURLWithPath: report ?? Self.defaultReport()).standardizedFileURL
        self.report = path.path
        let stem = path.deletingPathExtension()
        folder = stem.path == path.path ? path.path + ".files" : stem.path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    static func defaultReport() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return FileManager.default.currentDirectoryPath + "/reports/\(formatter.string(from: Date())).json"
    }
}
