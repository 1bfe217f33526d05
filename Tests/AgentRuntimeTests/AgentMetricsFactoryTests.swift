import AgentRuntime
import Foundation
import GLMControl
import Metrics
import Prometheus
import Testing

/// The factory both agents bootstrap, on a registry of the test's own (swift-metrics'
/// global bootstrap is left alone), and the catalogue it takes help texts from.
@Suite("Agent metrics: help texts, timer buckets, build info")
struct AgentMetricsFactoryTests {
    static func render(_ registry: PrometheusCollectorRegistry) -> String {
        String(decoding: registry.emitToBuffer(), as: UTF8.self)
    }

    @Test("A counter, a gauge and a timer made through swift-metrics carry their help from the catalogue")
    func helpFromCatalogue() {
        let registry = PrometheusCollectorRegistry()
        let factory = AgentMetricsFactory(registry: registry)
        Counter(label: "glm_home_handoffs_total", factory: factory).increment()
        Counter(label: "glm_site_refusals_total", dimensions: [("home_agent", "dc1"), ("status", "146")], factory: factory).increment()
        Gauge(label: "glm_site_served_vms", factory: factory).record(2)
        Metrics.Timer(label: "glm_site_processing_seconds", factory: factory).recordNanoseconds(30_000)
        let text = Self.render(registry)
        for name in ["glm_home_handoffs_total", "glm_site_refusals_total", "glm_site_served_vms", "glm_site_processing_seconds"] {
            let help = MetricCatalogue.help(for: name)
            #expect(!help.isEmpty)
            #expect(text.contains("# HELP \(name) \(help)\n# TYPE \(name) "), "\(text)")
        }
        #expect(text.contains("glm_site_served_vms 2"), "\(text)")
    }

    @Test("A metric the catalogue lacks is exposed without a HELP line")
    func notCatalogued() {
        let registry = PrometheusCollectorRegistry()
        Counter(label: "glm_test_uncatalogued_total", factory: AgentMetricsFactory(registry: registry)).increment()
        let text = Self.render(registry)
        #expect(text.contains("# TYPE glm_test_uncatalogued_total counter"))
        #expect(!text.contains("# HELP glm_test_uncatalogued_total"))
    }

    @Test("A timer's histogram has buckets from 25 µs to 2.5 s, and 30 µs falls in the 50 µs one")
    func timerBuckets() {
        let registry = PrometheusCollectorRegistry()
        Metrics.Timer(label: "glm_home_processing_seconds", factory: AgentMetricsFactory(registry: registry))
            .recordNanoseconds(30_000)
        let buckets = Self.render(registry).split(separator: "\n").filter { $0.hasPrefix("glm_home_processing_seconds_bucket{") }
        let bounds = buckets.compactMap { line in line.split(separator: "\"").dropFirst().first.map(String.init) }
        #expect(bounds == ["0.000025", "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
                           "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "+Inf"])
        #expect(buckets.first?.hasSuffix(" 0") == true, "\(buckets)")
        #expect(buckets.dropFirst().allSatisfy { $0.hasSuffix(" 1") }, "\(buckets)")
    }

    @Test("glm_build_info is 1 with the agent and the release as labels")
    func buildInfo() {
        let registry = PrometheusCollectorRegistry()
        AgentMetrics.recordBuild(of: .siteAgent, in: registry)
        let text = Self.render(registry)
        #expect(text.contains("# HELP glm_build_info \(MetricCatalogue.help(for: "glm_build_info"))\n# TYPE glm_build_info gauge\n"))
        #expect(text.contains("glm_build_info{agent=\"site-agent\",version=\"\(GLMVersion.current)\"} 1"), "\(text)")
    }

    @Test("Every metric the sources create is in the catalogue, and every help text reads as one sentence")
    func catalogueCoversTheSources() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        let label = /label: "(glm_[a-z0-9_]+)"/
        var created: Set<String> = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            created.formUnion(text.matches(of: label).map { String($0.output.1) })
        }
        #expect(created.count > 30, "the scan finds the agents' metrics in \(sources.path)")
        #expect(created.subtracting(MetricCatalogue.help.keys).isEmpty,
                "not in MetricCatalogue: \(created.subtracting(MetricCatalogue.help.keys).sorted())")
        for (name, help) in MetricCatalogue.help {
            #expect(name.hasPrefix("glm_") && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name)")
            #expect(help.first?.isUppercase == true || help.first?.isNumber == true, "\(name): \(help)")
            #expect(help.hasSuffix(".") && !help.contains("\n"), "\(name): \(help)")
        }
    }
}
