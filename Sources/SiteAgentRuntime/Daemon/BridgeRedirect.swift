import AgentRuntime
import Foundation
import GLMWire
import Logging

/// Brings a migrated VM's packets up to the host whatever MAC the VM addresses them to.
///
/// A VM that arrives keeps its ARP cache: its gateway and home neighbours still map to
/// the MACs they had where it came from (the home LAN's machines, or the previous site's
/// bridge). The bridge here knows none of them and floods such frames to its ports; the
/// host never sees them, and the guest asks again only when its entries go stale, tens
/// of seconds later. So, with nftables (bridge family, prerouting), every unicast IPv4
/// frame from a VM served here gets the destination ``hostMAC`` and packet type `host`;
/// a local forwarding entry for ``hostMAC`` on each watched bridge passes it to the host,
/// whose policy rule sends it into the tunnel. Frames are marked (``mark``), and an `ip`
/// family forward rule drops marked packets that would leave by anything but the tunnel.
///
/// A VM that left, or came home to this host, may still address frames to ``hostMAC``
/// (its ARP cache kept the agent's answers): they are dropped, not routed by the host,
/// until the VM asks again or its home agent tells it where its neighbours are.
///
/// The bridges are joined to the site's LAN, whose hosts must not see what a served VM
/// asks for its home network: its ARP frames go up to the host (whose agent answers what
/// it asks of its home subnet) and are not forwarded to other ports, and nothing from or
/// to a served VM crosses an uplink. So the LAN never learns a served VM's MAC, and what
/// the host sends a VM prepared here, before it arrives, floods to this host's own ports
/// (the incoming tap among them) and never onto the LAN, where the VM still is on
/// another hypervisor. VMs at home on this host are not in the set and are left
/// entirely alone.
///
/// The tables (`bridge glm-site`, `ip glm-site`) are the agent's own: made at start
/// (replacing what a killed agent left), a VM added to the set when it is served and
/// removed when it is not, the tables removed at stop.
public final class BridgeRedirect: Sendable {
    /// The MAC redirected frames are given; local (a forwarding entry on the bridge device
    /// itself) on every watched bridge. Locally administered: 02:47:4c:4d ("GLM").
    public static let hostMAC = MACAddress(0x02, 0x47, 0x4c, 0x4d, 0x00, 0x01)
    /// The packet mark of redirected frames (`meta mark`).
    public static let mark: UInt32 = 0x474c_5437
    /// The nftables tables' name.
    public static let table = "glm-site"

    let bridges: [String]
    let tunnelInterface: String
    /// The ports joining the bridges to the site's LAN.
    let uplinks: Set<String>
    let nft: String
    let bridgeCommand: String
    let logger: Logger

    public init(bridges: [String], tunnelInterface: String, uplinks: Set<String> = [], nft: String? = nil,
                bridgeCommand: String? = nil, logger: Logger) {
        self.bridges = bridges
        self.tunnelInterface = tunnelInterface
        self.uplinks = uplinks
        self.nft = nft ?? SystemProgram.path("nft") ?? "/usr/sbin/nft"
        self.bridgeCommand = bridgeCommand ?? SystemProgram.path("bridge") ?? "/usr/sbin/bridge"
        self.logger = logger
    }

    /// The nftables script that makes the tables for `vms`.
    func script(_ vms: Set<MACAddress>) -> String {
        let elements = vms.sorted().map(\.description).joined(separator: ", ")
        let ports = uplinks.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        let mark = String(format: "0x%08x", Self.mark)
        return """
        table bridge \(Self.table) {
          set vms {
            type ether_addr;
            \(elements.isEmpty ? "" : "elements = { \(elements) };")
          }
          set uplinks {
            type ifname;
            \(ports.isEmpty ? "" : "elements = { \(ports) };")
          }
          chain prerouting {
            type filter hook prerouting priority -300; policy accept;
            ether saddr @vms ether type ip ether daddr and 01:00:00:00:00:00 == 00:00:00:00:00:00 \
        meta pkttype set host ether daddr set \(Self.hostMAC) meta mark set \(mark)
            ether daddr \(Self.hostMAC) ether saddr != @vms drop
          }
          chain forward {
            type filter hook forward priority 0; policy accept;
            ether saddr @vms ether type arp drop
            ether saddr @vms oifname @uplinks drop
            ether daddr @vms oifname @uplinks drop
          }
          chain output {
            type filter hook output priority 0; policy accept;
            ether daddr @vms oifname @uplinks drop
          }
        }
        table ip \(Self.table) {
          chain forward {
            type filter hook forward priority 0; policy accept;
            meta mark \(mark) oifname != "\(tunnelInterface)" drop
          }
        }

        """
    }

    /// Makes the tables and the bridges' local entries, replacing any an earlier run left.
    public func start(vms: Set<MACAddress>) throws {
        removeTables()
        try run(nft, ["-f", "-"], input: script(vms))
        for bridge in bridges {
            try run(bridgeCommand, ["fdb", "replace", Self.hostMAC.description, "dev", bridge, "self", "local"])
        }
        logger.info("redirecting migrated VMs' frames to the host", metadata: [
            "bridges": "\(bridges.joined(separator: ","))", "vms": "\(vms.count)", "host_mac": "\(Self.hostMAC)"])
    }

    /// Redirects `vm`'s frames from now on (it is served here), and forgets where the
    /// bridges learnt it on an uplink (from its broadcasts on another hypervisor of this
    /// LAN), so that frames for it reach this host's own ports.
    public func add(_ vm: MACAddress) throws {
        try run(nft, ["add", "element", "bridge", Self.table, "vms", "{ \(vm) }"])
        for uplink in uplinks.sorted() {
            try? run(bridgeCommand, ["fdb", "del", vm.description, "dev", uplink, "master"])
        }
    }

    /// Leaves `vm`'s frames alone again (it is no longer served here).
    public func remove(_ vm: MACAddress) throws {
        try run(nft, ["delete", "element", "bridge", Self.table, "vms", "{ \(vm) }"])
    }

    /// Removes the tables and the local entries.
    public func stop() {
        removeTables()
        for bridge in bridges {
            try? run(bridgeCommand, ["fdb", "del", Self.hostMAC.description, "dev", bridge, "self"])
        }
    }

    private func removeTables() {
        for family in ["bridge", "ip"] {
            try? run(nft, ["delete", "table", family, Self.table])
        }
    }

    private func run(_ program: String, _ arguments: [String], input: String? = nil) throws {
        let command = ([program] + arguments).joined(separator: " ")
        let result: SystemProgram.Run
        do {
            result = try SystemProgram.run(program, arguments, input: input)
        } catch {
            throw NetworkConfigurationError(command: command, standardError: "cannot run \(program): \(error) (install nftables and iproute2)")
        }
        guard result.status == 0 else {
            throw NetworkConfigurationError(command: command, standardError: String(decoding: result.errors, as: UTF8.self))
        }
    }
}
