/// Which data plane moves tunnelled packets (`tunnel.implementation`): the eBPF programs
/// where the kernel runs them, or the user-space tunnel. `auto`, the default, checks the
/// kernel at start and takes eBPF when it can, saying in the log which runs and why.
public enum TunnelImplementation: String, CaseIterable, Hashable, Sendable {
    case auto
    case ebpf
    case userSpace = "user-space"
}
