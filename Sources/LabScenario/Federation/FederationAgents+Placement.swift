import Foundation
import LabNetwork
import LabProcesses

extension FederationAgents {
    /// `site-agent notify --event incoming` at `hypervisor`, as libvirt's hook calls it at
    /// `migrate begin`, and a wait until the site agent there says `prepared` (a foreign
    /// site: the home agent bicasts there) or `returning` (the VM's home site `home`: the
    /// home agent copies its traffic onto the home LAN). Returns what went wrong, or nil.
    public func prepare(_ vm: VMProfile, home: Int, at hypervisor: FederationTopology.Hypervisor) async throws -> String? {
        let run = try await notify("incoming", vm.mac, at: hypervisor)
        guard run.succeeded else { return "site-agent notify incoming at \(hypervisor): \(run.standardOutput) \(run.standardError)" }
        let expected = hypervisor.site == home ? "returning" : "prepared"
        let ready = await waitUntil(timeout: .seconds(3)) {
            (try? await self.status(hypervisor))?[vm.mac] == expected
        }
        return ready ? nil : "\(vm.name) was not \(expected) at \(hypervisor) within 3 s"
    }

    /// Waits until the agents agree that `vm` (whose home is site `home`) is at
    /// `hypervisor`: on its home site, no binding at its home agent and `home` there; on a
    /// foreign site, bound to that hypervisor and `served` there; and no other hypervisor
    /// listing it. Returns what was wrong after `timeout`, or nil.
    public func waitForPlacement(_ vm: VMProfile, home: Int, at hypervisor: FederationTopology.Hypervisor,
                                 timeout: Duration = .seconds(5)) async -> String? {
        let away = hypervisor.site != home
        let expectedBinding = away ? "\(FederationAgentConfiguration.siteName(hypervisor.site))@\(hypervisor.wanAddress)" : nil
        var last = ""
        let agreed = await waitUntil(timeout: timeout) {
            let binding = (try? await self.bindings(site: home))?[vm.mac]?.description
            var states: [String] = []
            var here: String?
            for other in self.topology.hypervisors {
                guard let state = (try? await self.status(other))?[vm.mac] else { continue }
                if other == hypervisor { here = state } else { states.append("\(other) \(state)") }
            }
            last = "binding \(binding ?? "none"), \(hypervisor) \(here ?? "none")"
                + (states.isEmpty ? "" : ", also listed at \(states.joined(separator: ", "))")
            return binding == expectedBinding && here == (away ? "served" : "home") && states.isEmpty
        }
        return agreed ? nil : "\(vm.name) at \(hypervisor): the agents did not agree in time (\(last))"
    }
}
