// swift-tools-version:6.1
// Benchmarks for GLMWire, kept apart so that the root package carries no benchmark
// dependency. See README.md.
import PackageDescription

let package = Package(
    name: "GLMWireBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "GLM", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Counts malloc calls; the library behind ordo-one/benchmark's malloc metrics.
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The measured operations on the typical PBU, shared by both harnesses.
        .target(
            name: "GLMWireWorkloads",
            dependencies: [
                .product(name: "GLMWire", package: "GLM"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // `swift run -c release GLMWireBenchmarks`: the figures and their ratios in one table.
        .executableTarget(
            name: "GLMWireBenchmarks",
            dependencies: [
                "GLMWireWorkloads",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ]
        ),
        // `swift run -c release HomeAgentBenchmarks`: PBU→PBA transactions per second
        // through the daemon beside a UDP echo baseline, and the binding cache at 1,000,000.
        .executableTarget(
            name: "HomeAgentBenchmarks",
            dependencies: [
                .product(name: "GLMWire", package: "GLM"),
                .product(name: "HomeAgentCore", package: "GLM"),
                .product(name: "HomeAgentRuntime", package: "GLM"),
                .product(name: "Etcd", package: "GLM"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `swift run -c release SiteAgentBenchmarks` (root): announce → PBU and PBA → served
        // at the site, on the wire, with the real agents in namespaces.
        .executableTarget(
            name: "SiteAgentBenchmarks",
            dependencies: [
                .product(name: "GLMWire", package: "GLM"),
                .product(name: "PacketCapture", package: "GLM"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // `swift package benchmark`: percentiles, baselines and threshold checks.
        .executableTarget(
            name: "SignalingBenchmarks",
            dependencies: [
                "GLMWireWorkloads",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SignalingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
