import AgentRuntime
import Foundation

/// `glmctl cluster`: a member's view of its cluster, for people (or as JSON).
public enum ClusterReport {
    public static func fetch(socket: String, json: Bool) async throws -> String {
        let answer = try await ControlSocketClient.request("cluster", path: socket)
        if json { return String(decoding: answer, as: UTF8.self) + "\n" }
        guard let status = try? JSONDecoder().decode(ClusterStatus.self, from: Data(answer)) else {
            return String(decoding: answer, as: UTF8.self) + "\n"
        }
        return text(status)
    }

    /// The status as lines: this member, then a table of its peers.
    public static func text(_ status: ClusterStatus) -> String {
        let serving = status.serving ? "serving (term \(status.term.map(String.init) ?? "?"))"
            : "standby, \(status.owner.map { "\($0) serves" } ?? "nobody serves")"
        let renewal = status.lastRenewalMillisecondsAgo.map { "renewed \($0) ms ago" } ?? "never renewed"
        let etcd = status.etcdReachable ? "etcd reachable (\(renewal) at \(status.etcdEndpoint))"
            : "ETCD UNREACHABLE (\(renewal))"
        var text = "cluster \(status.cluster), member \(status.member): \(serving); \(etcd)"
            + (status.lease.map { "; lease \(String($0, radix: 16))" } ?? "; no lease")
            + "; \(status.replicatedBindings) bindings in etcd\n"
        if status.refusedHeartbeats > 0 {
            text += "member heartbeats refused: \(status.refusedHeartbeats)\n"
        }
        var lines = [["MEMBER", "ADDRESS", "UP", "LAST HEARD", "SERVING", "ETCD"]]
        for peer in status.peers {
            lines.append([peer.name, peer.address, peer.up ? "yes" : "NO",
                          peer.lastHeardMillisecondsAgo.map { "\($0) ms ago" } ?? "never",
                          peer.serving ? "yes" : "no", peer.etcdReachable ? "reachable" : "unreachable"])
        }
        return text + BindingReport.columns(lines)
    }
}
