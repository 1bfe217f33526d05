import CLibFuzzer
import GLMWire
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Starts libFuzzer with this target's input function.
///
/// SwiftPM links an executable's `@main` as the process entry point, ahead of the
/// `main` in libFuzzer's runtime, so the runtime is entered through its library API;
/// the options (`-max_total_time=`, a corpus folder, …) are libFuzzer's own.
@main
enum GLMWireFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
    }
}

/// libFuzzer's input function: every input goes to the signaling decoder and to the
/// tunnel decoder. A broken property stops the process with `fatalError`, which
/// libFuzzer reports as a crash and keeps the input for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    SignalingProperties.check(bytes)
    TunnelProperties.check(bytes)
    return 0
}
