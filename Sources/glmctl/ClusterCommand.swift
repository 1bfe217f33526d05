import ArgumentParser
import GLMControl

/// `glmctl cluster`: a cluster member's view: who serves, its lease, its peers.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Show a home agent's cluster: who serves, the lease's health, the members."
    )

    @OptionGroup var agent: AgentSocket

    @Flag(help: "Print the agent's JSON object.")
    var json = false

    func run() async throws {
        let client = agent.client
        if json {
            print(String(decoding: try await client.raw(.cluster), as: UTF8.self))
            return
        }
        print(Self.text(try await client.call(.cluster)), terminator: "")
    }

    /// The status as lines: this member, then a table of its peers.
    static func text(_ status: ClusterStatus) -> String {
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
        return text + Columns.table(lines)
    }
}
