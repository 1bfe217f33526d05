import GLMControl
import Metrics
import Prometheus

/// An agent process's metrics: the registry its `/metrics` endpoint renders,
/// swift-metrics bootstrapped onto that registry through ``AgentMetricsFactory``, and
/// `glm_build_info`.
public enum AgentMetrics {
    /// The daemon a process runs, as the `agent` label of `glm_build_info` names it.
    public enum Agent: String, Sendable, CaseIterable {
        case homeAgent = "home-agent"
        case siteAgent = "site-agent"
    }

    /// Bootstraps swift-metrics for the process and returns the registry to serve.
    ///
    /// swift-metrics takes one bootstrap per process: a second call traps.
    public static func bootstrap(agent: Agent) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(AgentMetricsFactory(registry: registry))
        recordBuild(of: agent, in: registry)
        return registry
    }

    /// Sets `glm_build_info{agent, version}` to 1, in the manner of node_exporter's
    /// `node_exporter_build_info`: a query joins on it to tell which release each agent runs.
    package static func recordBuild(of agent: Agent, in registry: PrometheusCollectorRegistry) {
        registry.makeGauge(descriptor: AgentMetricsFactory.descriptor("glm_build_info"),
                           labels: [("agent", agent.rawValue), ("version", GLMVersion.current)]).set(to: 1)
    }
}
