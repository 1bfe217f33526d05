import Benchmark
import GLMWireWorkloads
import NIOCore

/// The operations of GLMWireBenchmarks under ordo-one/benchmark, for percentiles,
/// baselines and threshold checks: `swift package benchmark` in this folder.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )
    let workload = try! SignalingWorkload()

    Benchmark("PBU encode, unsigned") { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        for _ in benchmark.scaledIterations {
            buffer.clear()
            blackHole(try workload.encodeUnsigned(into: &buffer))
        }
    }
    Benchmark("PBU encode, signed") { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        for _ in benchmark.scaledIterations {
            buffer.clear()
            blackHole(try workload.encodeSigned(into: &buffer))
        }
    }
    Benchmark("PBU decode, no verification") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try workload.decode())
        }
    }
    Benchmark("PBU decode + verify") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try workload.decodeAndVerify())
        }
    }
    Benchmark("HMAC-SHA-256 alone") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(workload.bareHMAC())
        }
    }
}
