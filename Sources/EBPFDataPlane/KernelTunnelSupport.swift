import AgentRuntime
internal import CLibBPF
import GLMWire

/// Whether this kernel can run the eBPF tunnel: the programs load (the verifier accepts
/// them, the helpers exist), and `glm_decap`, run by the kernel on a frame built here
/// (`BPF_PROG_TEST_RUN`, nothing sent), admits it and hands back exactly its inner
/// packet. Needs the privileges the agents run with.
public enum KernelTunnelSupport {
    /// Nil when the kernel can; otherwise why not, in words for a log line.
    public static func check() -> String? {
        let program: TunnelProgram
        do {
            program = try TunnelProgram()
        } catch {
            return "the kernel did not load the tunnel programs: \(error)"
        }
        defer { program.close() }
        let local = IPv4Address(192, 0, 2, 1), peer = IPv4Address(192, 0, 2, 2)
        let inner: [UInt8] = Self.ipv4(source: IPv4Address(10, 255, 0, 1), destination: IPv4Address(10, 255, 0, 2),
                                       payload: [0, 7, 0, 7, 0, 8, 0, 0])
        let frame = [UInt8](repeating: 2, count: 12) + [0x08, 0x00]
            + Self.ipv4(source: peer, destination: local,
                        payload: Self.bigEndian(TunnelFrame.port) + Self.bigEndian(TunnelFrame.port)
                            + Self.bigEndian(UInt16(8 + inner.count)) + [0, 0] + inner, protocolNumber: 17)
        do {
            var settings = glm_settings()
            settings.local_address = local.rawValue.bigEndian
            settings.wan_ifindex = 1
            settings.tunnel_ifindex = 1
            settings.port = TunnelFrame.port.bigEndian
            try program.maps.write(settings)
            try program.maps.write(TunnelRoute(address: IPv4Address(10, 255, 0, 1), peer: peer), as: .remote)
        } catch {
            return "the kernel refused the tunnel maps: \(error)"
        }
        var output = [UInt8](repeating: 0, count: 256)
        var verdict: UInt32 = 0
        var produced = 0
        let result = frame.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                withZeroedOptions(bpf_test_run_opts.self) { options in
                    options.pointee.sz = MemoryLayout<bpf_test_run_opts>.size
                    options.pointee.repeat = 1
                    options.pointee.data_in = input.baseAddress
                    options.pointee.data_size_in = UInt32(input.count)
                    options.pointee.data_out = out.baseAddress
                    options.pointee.data_size_out = UInt32(out.count)
                    defer {
                        verdict = options.pointee.retval
                        produced = Int(options.pointee.data_size_out)
                    }
                    return bpf_prog_test_run_opts(program.decapsulation, options)
                }
            }
        }
        guard result == 0 else {
            return "the kernel could not run the decapsulation program (BPF_PROG_TEST_RUN: errno \(-result))"
        }
        let counters = program.maps.readCounters()
        guard verdict == UInt32(TC_ACT_REDIRECT) else {
            return "the decapsulation program did not admit a well-formed frame (verdict \(verdict), counters \(counters.tunnel))"
        }
        guard produced >= 14, Array(output[14..<produced]) == inner else {
            return "the decapsulation program did not leave the inner packet (\(produced) octets out)"
        }
        return nil
    }

    private static func ipv4(source: IPv4Address, destination: IPv4Address, payload: [UInt8],
                             protocolNumber: UInt8 = 17) -> [UInt8] {
        var header: [UInt8] = [0x45, 0] + bigEndian(UInt16(20 + payload.count)) + [0, 1, 0, 0, 64, protocolNumber, 0, 0]
        header += bigEndian(source.rawValue) + bigEndian(destination.rawValue)
        var sum: UInt32 = 0
        for index in stride(from: 0, to: 20, by: 2) { sum += UInt32(header[index]) << 8 | UInt32(header[index + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        header[10] = UInt8(~sum >> 8 & 0xff)
        header[11] = UInt8(~sum & 0xff)
        return header + payload
    }

    private static func bigEndian<Integer: FixedWidthInteger>(_ value: Integer) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
