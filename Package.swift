// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "GLM",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GLMWire", targets: ["GLMWire"]),
        .library(name: "PacketCapture", targets: ["PacketCapture"]),
        .executable(name: "glmctl", targets: ["glmctl"]),
        .library(name: "HomeAgentCore", targets: ["HomeAgentCore"]),
        .library(name: "HomeAgentRuntime", targets: ["HomeAgentRuntime"]),
        .library(name: "Etcd", targets: ["Etcd"]),
        .library(name: "AgentRuntime", targets: ["AgentRuntime"]),
        .library(name: "GLMControl", targets: ["GLMControl"]),
        .executable(name: "home-agent", targets: ["HomeAgent"]),
        .library(name: "SiteAgentRuntime", targets: ["SiteAgentRuntime"]),
        .executable(name: "site-agent", targets: ["SiteAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // The wire formats: signaling, authentication, tunnel framing, link-layer frames.
        // Pure values and codecs; no sockets, clocks or files.
        .target(
            name: "GLMWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // libpcap access: capture files (read, write) and live capture with a BPF filter.
        .target(
            name: "PacketCapture",
            dependencies: ["CPcap", "GLMWire"]
        ),
        // The home agent's protocol: policy, binding cache, registration, revocation,
        // heartbeats. Sans-I/O: events in with their time, actions out.
        .target(
            name: "HomeAgentCore",
            dependencies: ["GLMWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The site agent's protocol: arrival detection, registration, serving, revocation.
        // Sans-I/O like the home agent's.
        .target(
            name: "SiteAgentCore",
            dependencies: ["GLMWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The control socket's protocol: typed requests and answers (Codable), and the
        // client with deadlines that glmctl, the agents' commands and the lab use.
        .target(
            name: "GLMControl",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // What both agents' daemons share: the TUN device, the user-space tunnel, the
        // OS's routes and neighbour proxies, the signaling socket, a daemon's inbox and
        // timer, announce captures, metrics and the control socket.
        .target(
            name: "AgentRuntime",
            dependencies: [
                "GLMWire",
                "GLMControl",
                "PacketCapture",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .systemLibrary(
            name: "CLibBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev"])]
        ),
        // Compiles Programs/*.bpf.c with clang -target bpf and embeds each object.
        .plugin(
            name: "TunnelProgramCompiler",
            capability: .buildTool()
        ),
        // The tunnel in the kernel: TC programs (C, compiled at build time) that frame and
        // admit packets by maps mirroring the routing table, loaded through libbpf, over
        // the user-space tunnel's device and socket.
        .target(
            name: "EBPFDataPlane",
            dependencies: [
                "AgentConfiguration",
                "AgentRuntime",
                "CLibBPF",
                "GLMWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Programs"],
            plugins: ["TunnelProgramCompiler"]
        ),
        // What both agents' configuration files share: YAML read into checked values,
        // each refusal naming the file and line; addresses, keys, metrics, log level.
        .target(
            name: "AgentConfiguration",
            dependencies: [
                "GLMWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // etcd's v3 API through its JSON gateway: keys, transactions, leases and watches,
        // over HTTP/1.1 (TLS when configured) with several endpoints tried in turn.
        .target(
            name: "Etcd",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The home agent daemon: configuration, SQLite persistence, signaling over UDP,
        // the data plane, lifecycle, logs, metrics, control socket.
        .target(
            name: "HomeAgentRuntime",
            dependencies: [
                "HomeAgentCore",
                "AgentRuntime",
                "EBPFDataPlane",
                "GLMControl",
                "GLMWire",
                "AgentConfiguration",
                "Etcd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "HomeAgent",
            dependencies: [
                "GLMControl",
                "HomeAgentRuntime",
                "AgentRuntime",
                "GLMWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The site agent daemon: configuration, signaling over UDP, the bridges' captures,
        // lifecycle, logs, metrics, control socket.
        .target(
            name: "SiteAgentRuntime",
            dependencies: [
                "GLMControl",
                "GLMWire",
                "SiteAgentCore",
                "AgentRuntime",
                "EBPFDataPlane",
                "AgentConfiguration",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "SiteAgent",
            dependencies: [
                "GLMControl",
                "SiteAgentRuntime",
                "AgentRuntime",
                "GLMWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "glmctl",
            dependencies: [
                "GLMWire",
                "GLMControl",
                "PacketCapture",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "GLMWireTests",
            dependencies: ["GLMWire", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Regressions")]
        ),
        .testTarget(
            name: "PacketCaptureTests",
            dependencies: ["PacketCapture", "GLMWire"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "HomeAgentCoreTests",
            dependencies: ["HomeAgentCore", "GLMWire", "PacketCapture", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "SiteAgentCoreTests",
            dependencies: ["SiteAgentCore", "HomeAgentCore", "GLMWire", "PacketCapture", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "HomeAgentRuntimeTests",
            dependencies: ["GLMControl", "LabSupport", "HomeAgentRuntime", "Etcd", .product(name: "NIOPosix", package: "swift-nio"), "AgentConfiguration", "ConfigurationTestSupport", "HomeAgentCore", "AgentRuntime", "GLMWire", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "SiteAgentRuntimeTests",
            dependencies: ["GLMControl", "SiteAgentRuntime", "SiteAgentCore", "HomeAgentRuntime", "AgentRuntime", "AgentConfiguration",
                           "ConfigurationTestSupport", "GLMWire", "LabSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["LabSupport", "GLMWire", "PacketCapture", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Runs one end of the user-space tunnel (and small traffic tools) inside a network
        // namespace, for the data-plane tests and the throughput measurement. Not shipped.
        .executableTarget(
            name: "glm-tunnel-probe",
            dependencies: ["AgentRuntime", "EBPFDataPlane", "GLMWire", .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]
        ),
        // The namespace lab the data-plane and end-to-end tests share: the topology, the
        // programs run in it, and the skip-or-fail (under CI=true) checks. Test support only.
        .target(
            name: "LabSupport",
            dependencies: ["LabProcesses"]
        ),
        // Programs run to completion or in the background, their output in files: what the
        // lab and its tests use to drive `ip`, the agents and QEMU.
        .target(
            name: "LabProcesses",
            dependencies: []
        ),
        // The lab's network: the origin site, the foreign sites and the WAN between them,
        // from namespaces; the user-space WAN delay line; the correspondent's prober.
        .target(
            name: "LabNetwork",
            dependencies: [
                "LabProcesses",
                "AgentRuntime",
                "GLMWire",
            ]
        ),
        // The lab's VM: a Debian kernel and a busybox initramfs, QEMU under TCG with its
        // QMP monitor and serial console, live migration between sites.
        .target(
            name: "LabVM",
            dependencies: ["LabProcesses"]
        ),
        // The lab's scenario: agents configured and started as operators run them, the VM
        // migrated along a route while the prober runs, the report (JSON and SVG).
        .target(
            name: "LabScenario",
            dependencies: ["LabNetwork", "LabVM", "LabProcesses", "PacketCapture", "GLMWire", "GLMControl",
                           .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The WAN's programs, run inside the lab's namespaces: the delay line and the prober.
        .executableTarget(
            name: "glm-wan",
            dependencies: [
                "LabNetwork",
                "GLMWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `make demo`: the lab, the scenario and its report.
        .executableTarget(
            name: "glm-lab",
            dependencies: [
                "LabScenario",
                "LabNetwork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The etcd client against real etcd processes.
        .testTarget(
            name: "EtcdTests",
            dependencies: ["Etcd", "LabSupport", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(
            name: "LabNetworkTests",
            dependencies: ["LabNetwork", "LabSupport", "GLMWire"]
        ),
        .testTarget(
            name: "LabVMTests",
            dependencies: ["LabVM", "LabSupport"]
        ),
        // Editing a valid configuration sample into bad ones, for the configuration tests
        // of both agents. Test support only.
        .target(
            name: "ConfigurationTestSupport",
            dependencies: ["AgentConfiguration"]
        ),
        .testTarget(
            name: "AgentRuntimeTests",
            dependencies: ["AgentRuntime", "EBPFDataPlane", "GLMControl", "GLMWire", "LabSupport", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        // The real daemons, as operators run them, in the namespace lab.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["GLMControl", "LabSupport", "LabNetwork", "LabScenario", "HomeAgentRuntime", "SiteAgentRuntime", "AgentRuntime", "GLMWire"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
