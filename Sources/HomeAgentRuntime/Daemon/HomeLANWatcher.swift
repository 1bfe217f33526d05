import AgentRuntime
import GLMWire
import Logging

/// Watches the home LAN for a VM's own announce (the RARP a hypervisor sends when the VM
/// resumes after a migration): a VM seen announcing itself at home is home, and the home
/// agent steps aside for it.
enum HomeLANWatcher {
    static func service(interface: String, slot: DaemonSlot, logger: Logger) -> LinkWatcher {
        LinkWatcher(interface: interface, filter: LinkWatcher.announceFilter, threadName: "glm-home-lan",
                    consequence: "VMs coming home will not be noticed", logger: logger) { frame in
            if let mac = try? LinkLayerPacket(linkType: .ethernet, frame: frame).announcedMAC {
                slot.submit(.event(.vmAnnouncedAtHome(mac)))
            }
        }
    }
}
