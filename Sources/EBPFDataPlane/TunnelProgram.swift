import AgentRuntime
internal import CLibBPF
import Foundation

/// The tunnel's two TC programs and their maps, loaded into the kernel from the object
/// compiled into this binary (`Programs/tunnel.bpf.c`). The programs and maps live as
/// long as this value or an attachment holds them; ``close()`` lets go of this value's.
final class TunnelProgram: @unchecked Sendable {
    private let object: OpaquePointer
    /// `glm_encap`: at the tunnel device's egress.
    let encapsulation: Int32
    /// `glm_decap`: at the WAN interface's ingress.
    let decapsulation: Int32
    let maps: TunnelMaps

    /// Loads the programs; the verifier's complaint, if any, is in the error.
    init() throws(DataPlaneError) {
        guard let bytes = Data(base64Encoded: TunnelProgramObject.base64) else {
            throw DataPlaneError(.kernelProgram, "the embedded tunnel program object is not base64")
        }
        let (outcome, messages) = LibBPFMessages.collecting { () -> Result<OpaquePointer, DataPlaneError> in
            // libbpf reads the buffer until the load is done.
            bytes.withUnsafeBytes { raw -> Result<OpaquePointer, DataPlaneError> in
                return "glm_tunnel".withCString { name in
                    let opened = withZeroedOptions(bpf_object_open_opts.self) { options in
                        options.pointee.sz = MemoryLayout<bpf_object_open_opts>.size
                        options.pointee.object_name = name
                        return bpf_object__open_mem(raw.baseAddress, raw.count, options)
                    }
                    guard let object = opened else {
                        return .failure(DataPlaneError(.kernelProgram, systemError: errno, "libbpf could not open the tunnel program object"))
                    }
                    let result = bpf_object__load(object)
                    guard result == 0 else {
                        bpf_object__close(object)
                        return .failure(DataPlaneError(.kernelProgram, systemError: -result, "the kernel refused the tunnel programs"))
                    }
                    return .success(object)
                }
            }
        }
        let object: OpaquePointer
        switch outcome {
        case .success(let loaded): object = loaded
        case .failure(let error):
            let said = messages.suffix(12).joined(separator: " | ")
            throw DataPlaneError(error.code, systemError: error.systemError, error.reason + (said.isEmpty ? "" : " (libbpf: \(said))"))
        }
        func program(_ name: String) -> Int32 {
            bpf_object__find_program_by_name(object, name).map { bpf_program__fd($0) } ?? -1
        }
        encapsulation = program("glm_encap")
        decapsulation = program("glm_decap")
        guard encapsulation >= 0, decapsulation >= 0 else {
            bpf_object__close(object)
            throw DataPlaneError(.kernelProgram, "the tunnel program object lacks glm_encap or glm_decap")
        }
        do {
            maps = try TunnelMaps(object: object)
        } catch {
            bpf_object__close(object)
            throw error
        }
        self.object = object
    }

    /// Closes this value's hold on the programs and maps; attached programs stay until
    /// detached (or their device goes).
    func close() {
        bpf_object__close(object)
    }
}
