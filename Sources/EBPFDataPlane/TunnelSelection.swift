import AgentConfiguration
import AgentRuntime
import Logging

/// The data plane a `tunnel.implementation` setting asks for, chosen once at start and
/// said in one log line with the reason: `ebpf` and `user-space` as configured; `auto`
/// runs ``KernelTunnelSupport/check()`` and takes eBPF when the kernel passes it, the
/// user-space tunnel (with the kernel's reason) when not.
public enum TunnelSelection {
    public static func tunnel(_ implementation: TunnelImplementation, configuration: UserSpaceTunnel.Configuration,
                              configurator: NetworkConfigurator, logger: Logger) -> any TunnelDataPlane {
        let ebpf: Bool
        let reason: String
        switch implementation {
        case .ebpf:
            (ebpf, reason) = (true, "configured (tunnel.implementation: ebpf)")
        case .userSpace:
            (ebpf, reason) = (false, "configured (tunnel.implementation: user-space)")
        case .auto:
            if let refusal = KernelTunnelSupport.check() {
                (ebpf, reason) = (false, "auto: \(refusal)")
            } else {
                (ebpf, reason) = (true, "auto: the kernel loaded the tunnel programs and decapsulated a test frame")
            }
        }
        logger.info("tunnel data plane: \(ebpf ? "ebpf" : "user-space")", metadata: ["reason": "\(reason)"])
        if ebpf {
            return EBPFTunnel(configuration: configuration, configurator: configurator, logger: logger)
        }
        return UserSpaceTunnel(configuration: configuration, configurator: configurator, logger: logger)
    }
}
