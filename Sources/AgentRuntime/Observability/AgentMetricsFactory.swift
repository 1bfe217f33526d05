import Metrics
import Prometheus

/// The swift-metrics factory both agents bootstrap: a metric created through
/// `Counter(label:)`, `Gauge(label:)` or `Timer(label:)` goes into `registry` with its
/// help text from ``MetricCatalogue``, and a timer gets ``timerBuckets``.
///
/// swift-prometheus's `PrometheusMetricsFactory` creates every family without help
/// text, and its timer buckets start at 5 ms: most of GLM's timings would all fall in
/// the first bucket. This factory creates the same metrics through the registry's
/// `make…(descriptor:)` functions, which take help text, and leaves unregistering to
/// that factory.
public struct AgentMetricsFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry
    private let unregistering: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        unregistering = PrometheusMetricsFactory(registry: registry)
    }

    /// The bounds of every timer's histogram. GLM times the handling of one batch of
    /// events, a registration and a lease renewal: tens of microseconds to about a second.
    public static let timerBuckets: [Duration] = [
        .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500),
    ]

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: Self.descriptor(label), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: Self.descriptor(label), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: Self.descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: Self.descriptor(label), labels: dimensions,
                                           buckets: unregistering.defaultValueHistogramBuckets)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: Self.descriptor(label), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: Self.descriptor(label), labels: dimensions, buckets: Self.timerBuckets)
    }

    /// The family named `label` whole (swift-metrics labels are full Prometheus names),
    /// with its help from the catalogue.
    static func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricCatalogue.help(for: label))
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        unregistering.destroyCounter(handler)
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        unregistering.destroyFloatingPointCounter(handler)
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        unregistering.destroyRecorder(handler)
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        unregistering.destroyMeter(handler)
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        unregistering.destroyTimer(handler)
    }
}
