#if canImport(Glibc)
import Glibc
#endif
import AgentRuntime
internal import CLibBPF

/// A program attached to an interface's `clsact` hook as a direct-action `cls_bpf`
/// filter with GLM's handle and priority, so that the next start finds it again: an
/// attachment left by a killed agent is replaced, not doubled.
struct TrafficControlFilter: Sendable {
    enum Direction: Sendable, CustomStringConvertible {
        case ingress, egress
        var description: String { self == .ingress ? "ingress" : "egress" }
    }

    /// "GL": the filter's handle, and its priority (run before filters of lower priority).
    static let handle: UInt32 = 0x474c
    static let priority: UInt32 = 1

    let interface: String
    let index: Int32
    let direction: Direction
    /// Whether the interface's `clsact` qdisc is GLM's: added by this attachment, or
    /// holding GLM's filter from a run that was killed. Detaching then removes it.
    let ownsHook: Bool
    /// Whether a filter of GLM's was there already (left by a run that was killed).
    let replacedLeftover: Bool

    /// Attaches `program` (a descriptor), replacing GLM's filter already there.
    static func attach(_ program: Int32, to interface: String, _ direction: Direction) throws(DataPlaneError) -> TrafficControlFilter {
        guard let index = NetworkInterface.index(of: interface) else {
            throw DataPlaneError(.interface, "\(interface): no such interface to attach the tunnel's \(direction) program to")
        }
        let ((created, attached, leftover), said) = LibBPFMessages.collecting {
            withHook(index, direction) { hook in
                let created = bpf_tc_hook_create(hook)
                guard created == 0 || created == -EEXIST else { return (created, Int32(0), false) }
                let leftover = created == -EEXIST && withZeroedOptions(bpf_tc_opts.self) { options in
                    options.pointee.sz = MemoryLayout<bpf_tc_opts>.size
                    options.pointee.handle = handle
                    options.pointee.priority = priority
                    return bpf_tc_query(hook, options) == 0
                }
                let attached = withZeroedOptions(bpf_tc_opts.self) { options in
                    options.pointee.sz = MemoryLayout<bpf_tc_opts>.size
                    options.pointee.handle = handle
                    options.pointee.priority = priority
                    options.pointee.prog_fd = program
                    options.pointee.flags = BPF_TC_F_REPLACE.rawValue
                    return bpf_tc_attach(hook, options)
                }
                return (created, attached, leftover)
            }
        }
        let libbpf = said.isEmpty ? "" : " (libbpf: \(said.joined(separator: " | ")))"
        guard created == 0 || created == -EEXIST else {
            throw DataPlaneError(.kernelProgram, systemError: -created, "adding the clsact qdisc to \(interface)" + libbpf)
        }
        guard attached == 0 else {
            throw DataPlaneError(.kernelProgram, systemError: -attached, "attaching the tunnel's \(direction) program to \(interface)" + libbpf)
        }
        return TrafficControlFilter(interface: interface, index: index, direction: direction, ownsHook: created == 0 || leftover,
                                    replacedLeftover: leftover)
    }

    /// Removes the filter, and the `clsact` qdisc when it is GLM's. Returns what
    /// failed, if anything (the interface may be gone, taking both with it).
    func detach() -> DataPlaneError? {
        guard NetworkInterface.index(of: interface) == index else { return nil }
        let detached = Self.withHook(index, direction) { hook in
            withZeroedOptions(bpf_tc_opts.self) { options in
                options.pointee.sz = MemoryLayout<bpf_tc_opts>.size
                options.pointee.handle = Self.handle
                options.pointee.priority = Self.priority
                return bpf_tc_detach(hook, options)
            }
        }
        if detached != 0 && detached != -ENOENT {
            return DataPlaneError(.kernelProgram, systemError: -detached, "detaching the tunnel's \(direction) program from \(interface)")
        }
        guard ownsHook else { return nil }
        // Both directions go with the qdisc: destroy it only when it is ours.
        let destroyed = Self.withHook(index, nil) { bpf_tc_hook_destroy($0) }
        if destroyed != 0 && destroyed != -ENOENT {
            return DataPlaneError(.kernelProgram, systemError: -destroyed, "removing the clsact qdisc of \(interface)")
        }
        return nil
    }

    /// A hook on `index` for `direction` (nil: both, the qdisc itself).
    private static func withHook<Result>(_ index: Int32, _ direction: Direction?, _ body: (UnsafeMutablePointer<bpf_tc_hook>) -> Result) -> Result {
        withZeroedOptions(bpf_tc_hook.self) { hook in
            hook.pointee.sz = MemoryLayout<bpf_tc_hook>.size
            hook.pointee.ifindex = index
            switch direction {
            case .ingress: hook.pointee.attach_point = BPF_TC_INGRESS
            case .egress: hook.pointee.attach_point = BPF_TC_EGRESS
            case nil: hook.pointee.attach_point = bpf_tc_attach_point(BPF_TC_INGRESS.rawValue | BPF_TC_EGRESS.rawValue)
            }
            return body(hook)
        }
    }
}
