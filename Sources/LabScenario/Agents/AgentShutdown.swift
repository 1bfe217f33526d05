import Foundation
import LabProcesses

/// How the lab stops the agents it runs, as systemd would: SIGTERM to every one, a wait
/// of up to 10 s for each to finish its teardown (then SIGKILL), and what each wrote to
/// standard error kept as `NAME.log` in `folder`. Returns each exit status by name; a
/// killed agent's is -1.
func stopAgents(_ agents: [(name: String, process: ChildProcess)], keepingLogsIn folder: String) async -> [String: Int32] {
    var statuses: [String: Int32] = [:]
    for (_, child) in agents { child.signal(SIGTERM) }
    for (name, child) in agents {
        if await child.waitForExit(timeout: .seconds(10)) {
            statuses[name] = child.status
        } else {
            child.kill()
            statuses[name] = -1
        }
        try? child.standardError.write(toFile: "\(folder)/\(name).log", atomically: true, encoding: .utf8)
    }
    return statuses
}
