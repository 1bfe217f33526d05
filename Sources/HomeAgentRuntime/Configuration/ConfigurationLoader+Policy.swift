import AgentConfiguration
import GLMWire
import HomeAgentCore

/// Building the policy from the parsed entries. ``HomeAgentPolicy`` decides what
/// conflicts (duplicate names, addresses, SPIs, MACs); this finds which entry a
/// conflict belongs to, so the error points at its line.
extension ConfigurationLoader {
    func makePolicy(address: IPv4Address, sites: [Entry<SitePolicy>], vms: [Entry<VMPolicy>],
                    timers: HomeAgentTimers) throws(ConfigurationError) -> HomeAgentPolicy {
        let allSites = sites.map(\.value)
        func build(_ sites: [SitePolicy], _ vms: [VMPolicy]) -> HomeAgentPolicy.Conflict? {
            do {
                _ = try HomeAgentPolicy(address: address, sites: sites, vms: vms, timers: timers)
                return nil
            } catch {
                return error
            }
        }
        do {
            return try HomeAgentPolicy(address: address, sites: allSites, vms: vms.map(\.value), timers: timers)
        } catch {
            // Every conflict is between an entry and an earlier one (or, for a VM, a
            // site list), so the shortest failing prefix ends at the offending entry.
            if build(allSites, []) != nil {
                let index = Self.firstFailingPrefix(count: sites.count) { build(Array(allSites[..<$0]), []) != nil } - 1
                let conflict = build(Array(allSites[...index]), []) ?? error
                let other = (0..<index).first { build([allSites[$0], allSites[index]], []) != nil }
                throw source.error(reason(conflict, otherLine: other.map { sites[$0].line }), line: sites[index].line)
            }
            let allVMs = vms.map(\.value)
            let index = Self.firstFailingPrefix(count: vms.count) { build(allSites, Array(allVMs[..<$0])) != nil } - 1
            guard index >= 0 else { throw source.error(error.reason, line: 0) }
            let conflict = build(allSites, Array(allVMs[...index])) ?? error
            var other: Int?
            if build(allSites, [allVMs[index]]) == nil {
                other = (0..<index).first { build(allSites, [allVMs[$0], allVMs[index]]) != nil }
            }
            throw source.error(reason(conflict, otherLine: other.map { vms[$0].line }), line: vms[index].line)
        }
    }

    private func reason(_ conflict: HomeAgentPolicy.Conflict, otherLine: Int?) -> String {
        guard let otherLine else { return conflict.reason }
        return "\(conflict.reason) (the other entry is at line \(otherLine))"
    }

    /// The least `n` in 1...count for which `fails(n)` holds, given that it holds for
    /// `count` and, once it holds, for every larger `n`. 0 when it never holds.
    static func firstFailingPrefix(count: Int, fails: (Int) -> Bool) -> Int {
        guard count > 0, fails(count) else { return 0 }
        var low = 1
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if fails(middle) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
