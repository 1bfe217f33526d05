import AgentRuntime
import Foundation
import Testing
import Yams

/// The example Prometheus alert rules shipped in `dist/prometheus/glm-alerts.yml`.
@Suite("Example alert rules")
struct AlertRulesTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("dist/prometheus/glm-alerts.yml").path

    /// The rules of every group, as Yams reads them.
    static func rules() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any], "the file is a YAML mapping")
        let groups = try #require(document["groups"] as? [[String: Any]], "a list of groups")
        return try groups.flatMap { group in try #require(group["rules"] as? [[String: Any]], "\(group["name"] ?? "a group") has rules") }
    }

    @Test("The file is YAML of Prometheus's rule format: each rule an alert with an expression, a severity, a summary and a description")
    func shape() throws {
        let rules = try Self.rules()
        #expect(rules.count >= 9)
        let names = rules.compactMap { $0["alert"] as? String }
        #expect(names.count == rules.count && Set(names).count == names.count, "every rule is an alert with a name of its own: \(names)")
        for rule in rules {
            let name = rule["alert"] as? String ?? "?"
            #expect((rule["expr"] as? String)?.isEmpty == false, "\(name): expr")
            #expect(["critical", "warning"].contains((rule["labels"] as? [String: Any])?["severity"] as? String), "\(name): severity")
            let annotations = rule["annotations"] as? [String: Any]
            #expect((annotations?["summary"] as? String)?.isEmpty == false, "\(name): summary")
            #expect((annotations?["description"] as? String)?.isEmpty == false, "\(name): description")
            if let wait = rule["for"] {
                #expect((wait as? String)?.wholeMatch(of: /[0-9]+[smh]/) != nil, "\(name): for \(wait)")
            }
        }
    }

    @Test("Every glm_ metric the expressions use is one the agents expose (in the catalogue)")
    func metricsExist() throws {
        var used: Set<String> = []
        for rule in try Self.rules() {
            let expression = try #require(rule["expr"] as? String)
            used.formUnion(expression.matches(of: /glm_[a-z0-9_]+/).map { String($0.output) })
        }
        #expect(used.isSuperset(of: ["glm_home_site_up", "glm_site_home_agent_up", "glm_cluster_serving", "glm_cluster_etcd_reachable"]))
        #expect(used.subtracting(MetricCatalogue.help.keys).isEmpty, "unknown: \(used.subtracting(MetricCatalogue.help.keys).sorted())")
    }
}
