import GLMWireWorkloads
import MallocInterposerSwift
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Prints time, throughput and heap allocations per message for encoding, decoding and
/// verifying the typical PBU, against bare HMAC-SHA-256 over the same octets.
///
/// Two passes in one command. The first counts allocations with ordo-one's malloc
/// interposer, which this executable links; the interposer puts a header on every block
/// and so costs some nanoseconds per malloc even when it is not counting. The process
/// then re-executes itself with glibc preloaded (`LD_PRELOAD=libc.so.6`), which puts
/// glibc's malloc ahead of the interposer's, and the second pass times the operations
/// without it.
@main
enum GLMWireBenchmarks {
    /// Decoding without verification should take less than this.
    static let decodeAim = 300.0
    /// Decoding and verifying should take at most this multiple of bare HMAC.
    static let verifyAim = 1.5
    static let usage = "usage: GLMWireBenchmarks [profile encode-unsigned|encode-signed|decode|decode-verify|hmac [COUNT]]"

    static func main() throws {
        let workload = try SignalingWorkload()
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        let operations: [(key: String, name: String, body: () throws -> Void)] = [
            ("encode-unsigned", "encode, unsigned", {
                buffer.clear()
                blackHole(try workload.encodeUnsigned(into: &buffer))
            }),
            ("encode-signed", "encode, signed", {
                buffer.clear()
                blackHole(try workload.encodeSigned(into: &buffer))
            }),
            ("decode", "decode, no verification", { blackHole(try workload.decode()) }),
            ("decode-verify", "decode + verify", { blackHole(try workload.decodeAndVerify()) }),
            ("hmac", "HMAC-SHA-256 alone (floor)", { blackHole(workload.bareHMAC()) }),
        ]
        let harness = Harness()
        let arguments = Array(CommandLine.arguments.dropFirst())
        MallocInterposerSwift.initialize()

        switch arguments.first {
        case nil:
            // First pass: allocations, then the timing pass in a process without the interposer.
            guard harness.allocations({ blackHole([UInt8](repeating: 1, count: 64)) }) == 1 else {
                fail("the malloc interposer counts nothing in this process; allocation figures would be wrong")
            }
            let counts = try operations.map { try harness.allocations($0.body) }
            let preload = ["libc.so.6", getenv("LD_PRELOAD").map { String(cString: $0) }].compactMap { $0 }
            setenv("LD_PRELOAD", preload.joined(separator: ":"), 1)
            let argv = [CommandLine.arguments[0], "--allocations", counts.map { "\($0)" }.joined(separator: ",")]
            var cArguments = argv.map { strdup($0) } + [nil]
            execv("/proc/self/exe", &cArguments)
            fail("could not re-execute /proc/self/exe for the timing pass: \(String(cString: strerror(errno)))")

        case "--allocations":
            let counts = arguments.count == 2 ? arguments[1].split(separator: ",").compactMap { Double($0) } : []
            guard counts.count == operations.count else { fail(usage) }
            if harness.allocations({ blackHole([UInt8](repeating: 1, count: 64)) }) != 0 {
                print("note: the malloc interposer is still in this process, so the times include its cost\n")
            }
            #if DEBUG
            print("warning: a debug build; the figures mean little. Use `swift run -c release GLMWireBenchmarks`.\n")
            #endif
            let rows = try operations.map { try harness.measure($0.name, $0.body) }
            report(rows, allocations: counts, workload: workload, harness: harness)

        case "profile":
            // Only run the operation, for callgrind or perf.
            guard arguments.count >= 2, arguments.count <= 3,
                  let operation = operations.first(where: { $0.key == arguments[1] }),
                  let count = arguments.count == 3 ? Int(arguments[2]) : 100_000 else { fail(usage) }
            for _ in 0..<count { try operation.body() }

        default:
            fail(usage)
        }
    }

    static func report(_ rows: [Measurement], allocations: [Double], workload: SignalingWorkload, harness: Harness) {
        print("""
            GLMWire signaling: the sample PBU (MN-ID EUI-48, HI, ATT, Timestamp, IPv4 HoA Request),
            \(workload.signedBytes.readableBytes) octets signed with HMAC-SHA-256-128 over \(workload.coveredInput.count) covered octets.
            Median of \(harness.rounds) rounds of ~\(Int(nanoseconds(harness.roundDuration) / 1e6)) ms after warm-up; encoding reuses one buffer.

            """)
        print(pad("operation", 28), pad("ns/msg", 9, right: true), pad("(fastest - slowest)", 22, right: true),
              pad("msgs/s", 12, right: true), pad("allocs/msg", 11, right: true))
        for (row, count) in zip(rows, allocations) {
            print(pad(row.name, 28), pad(fixed(row.median, 1), 9, right: true),
                  pad("(\(fixed(row.fastest, 1)) - \(fixed(row.slowest, 1)))", 22, right: true),
                  pad(grouped(row.perSecond), 12, right: true), pad(fixed(count, 2), 11, right: true))
        }

        let (encodeUnsigned, encodeSigned, decode, decodeVerify, hmac) = (rows[0], rows[1], rows[2], rows[3], rows[4])
        let ratio = decodeVerify.median / hmac.median
        print("""

            decode + verify / bare HMAC     \(fixed(ratio, 2))x     aim <= \(fixed(verifyAim, 1))x   \(ratio <= verifyAim ? "met" : "MISSED")
            decode without auth             \(fixed(decode.median, 1)) ns   aim < \(Int(decodeAim)) ns  \(decode.median < decodeAim ? "met" : "MISSED")
            verify beyond decode and HMAC   \(fixed(decodeVerify.median - decode.median - hmac.median, 1)) ns
            signing beyond encode and HMAC  \(fixed(encodeSigned.median - encodeUnsigned.median - hmac.median, 1)) ns
            """)
    }

    static func fail(_ message: String) -> Never {
        print("error: \(message)")
        exit(2)
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let parts = "\((value * scale).rounded() / scale)".split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1].prefix(decimals)) : ""
        return decimals == 0 ? String(parts[0])
            : parts[0] + "." + fraction + String(repeating: "0", count: decimals - fraction.count)
    }

    static func grouped(_ value: Double) -> String {
        var digits = Array(String(Int(value.rounded())))
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: index)
            index -= 3
        }
        return String(digits)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
