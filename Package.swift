// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "GLM",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GLMWire", targets: ["GLMWire"]),
        .library(name: "PacketCapture", targets: ["PacketCapture"]),
        .executable(name: "glmctl", targets: ["glmctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
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
        .executableTarget(
            name: "glmctl",
            dependencies: [
                "GLMWire",
                "PacketCapture",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "GLMWireTests",
            dependencies: ["GLMWire", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Regressions")]
        ),
        .testTarget(
            name: "PacketCaptureTests",
            dependencies: ["PacketCapture", "GLMWire"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["GLMWire", "PacketCapture", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
