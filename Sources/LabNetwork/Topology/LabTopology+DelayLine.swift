import Foundation
import LabProcesses

extension LabTopology {
    /// Starts `program delay-line` in the WAN namespace and routes everything the WAN
    /// core receives on its `to-*` links into the delay line's TUN device.
    func startDelayLine(_ configuration: DelayLine.Configuration, program: String) async throws {
        let child = try await commands.startDelayLine(configuration, program: program, in: wan, links: hosts.map(\.wanCoreLink),
                                                      device: Self.delayLineDevice, table: Self.delayLineTable)
        lifetime.adopt(delayLine: child)
    }

    /// Stops the delay line (SIGTERM) and returns the counters it printed as it exited;
    /// nil without a delay line or when it printed none. Packets then cross undelayed.
    public func stopDelayLine() async -> DelayLine.Counters? {
        guard let child = lifetime.takeDelayLine() else {
            return nil
        }
        return await commands.stopDelayLine(child, in: wan, links: hosts.map(\.wanCoreLink), table: Self.delayLineTable)
    }
}
