// swift-tools-version:6.1
// libFuzzer target for the GLMWire decoders. Kept apart from the root package so that
// the sanitizer flags never reach the library's normal builds; scripts/fuzz.sh builds
// it with `-sanitize=fuzzer,address`.
import PackageDescription

let package = Package(
    name: "GLMWireFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "GLM", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // LLVMFuzzerRunDriver's declaration; the definition is in the sanitizer runtime.
        .systemLibrary(name: "CLibFuzzer"),
        .executableTarget(
            name: "GLMWireFuzz",
            dependencies: [
                "CLibFuzzer",
                .product(name: "GLMWire", package: "GLM"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
