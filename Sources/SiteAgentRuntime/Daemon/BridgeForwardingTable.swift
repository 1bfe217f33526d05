import AgentRuntime
import Foundation
import GLMWire
import Logging

/// The MACs a host bridge has learnt on its ports (`bridge fdb show br NAME`): after a
/// restart of the site agent, the VMs still running here, to be registered again.
public enum BridgeForwardingTable {
    /// The learnt unicast MACs in `bridge fdb show` output, in order, each once. Entries
    /// marked `permanent` are the host's own (its ports' and the bridge's addresses).
    /// Entries learnt on `excludingPorts` (the uplinks to the LAN: other hosts) are left out.
    public static func learnedMACs(in output: String, excludingPorts: Set<String> = []) -> [MACAddress] {
        var seen: Set<MACAddress> = []
        var macs: [MACAddress] = []
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let dev = fields.firstIndex(of: "dev"), dev + 1 < fields.count, excludingPorts.contains(String(fields[dev + 1])) {
                continue
            }
            guard let first = fields.first, !fields.contains("permanent"), let mac = MACAddress(String(first)),
                  !mac.isMulticast, mac != .zero, seen.insert(mac).inserted else { continue }
            macs.append(mac)
        }
        return macs
    }

    /// Whether `bridge` has learnt `mac` on one of its ports.
    public static func holds(_ mac: MACAddress, bridge: String, command: String = "/usr/sbin/bridge") -> Bool {
        learnedMACs(bridge: bridge, command: command, logger: Logger(label: "glm.bridge", factory: { _ in SwiftLogNoOpLogHandler() }))
            .contains(mac)
    }

    /// The learnt MACs of `bridge` outside `excludingPorts`; empty (and logged) when
    /// `bridge` cannot be run.
    public static func learnedMACs(bridge: String, excludingPorts: Set<String> = [], command: String = "/usr/sbin/bridge",
                                   logger: Logger) -> [MACAddress] {
        let result: SystemProgram.Run
        do {
            result = try SystemProgram.run(command, ["fdb", "show", "br", bridge])
        } catch {
            logger.warning("cannot read the bridge's forwarding table", metadata: ["bridge": "\(bridge)", "error": "\(error)"])
            return []
        }
        guard result.status == 0 else {
            logger.warning("cannot read the bridge's forwarding table", metadata: ["bridge": "\(bridge)",
                                                                                  "status": "\(result.status)"])
            return []
        }
        return learnedMACs(in: String(decoding: result.output, as: UTF8.self), excludingPorts: excludingPorts)
    }
}
