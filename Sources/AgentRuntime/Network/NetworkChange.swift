import Foundation
import GLMWire

/// One change to the OS's network configuration that ``NetworkConfigurator`` applies
/// with iproute2 and knows how to undo.
public enum NetworkChange: Hashable, Sendable {
    /// Sets a link's MTU (when given) and brings it up or down. Undone by restoring the
    /// MTU and state the link had before.
    case link(String, mtu: Int? = nil, up: Bool = true)
    /// `ip route replace PREFIX [via GATEWAY] dev DEVICE [table TABLE]`; prefix length 0
    /// is the default route. Undone by deleting the route.
    case route(to: IPv4Address, prefixLength: Int = 32, device: String, via: IPv4Address? = nil, table: Int? = nil)
    /// `ip neigh replace proxy ADDRESS dev DEVICE`: the kernel answers ARP requests for
    /// `ADDRESS` on `DEVICE` (when forwarding is on there and the route to the address
    /// leaves by another device). Undone by deleting the entry.
    case neighbourProxy(IPv4Address, device: String)
    /// `ip neigh replace ADDRESS lladdr MAC dev DEVICE nud permanent`: a neighbour whose
    /// MAC is known in advance (a VM about to arrive), so that packets for it leave at
    /// once instead of waiting for ARP. Undone by deleting the entry.
    case neighbour(IPv4Address, mac: MACAddress, device: String)
    /// `ip rule add from PREFIX lookup TABLE priority PRIORITY`: policy routing by source,
    /// as a site uses to send its VMs' packets into the tunnel. Undone by deleting the rule.
    case rule(from: IPv4Address, prefixLength: Int = 32, table: Int, priority: Int)
    /// `ip address replace ADDRESS/PREFIX dev DEVICE`. Undone by deleting the address.
    case address(IPv4Address, prefixLength: Int, device: String)

    /// The device the change belongs to; it vanishes with the device.
    var device: String? {
        switch self {
        case .link(let name, _, _): name
        case .route(_, _, let device, _, _): device
        case .neighbourProxy(_, let device): device
        case .neighbour(_, _, let device): device
        case .rule: nil
        case .address(_, _, let device): device
        }
    }

    /// The iproute2 batch line that applies the change.
    var command: String {
        switch self {
        case .link(let name, let mtu, let up):
            "link set dev \(name)" + (mtu.map { " mtu \($0)" } ?? "") + (up ? " up" : " down")
        case .route(let address, let prefixLength, let device, let gateway, let table):
            "route replace " + Self.routeSelector(address, prefixLength, device, gateway, table)
        case .neighbourProxy(let address, let device):
            "neigh replace proxy \(address) dev \(device)"
        case .neighbour(let address, let mac, let device):
            "neigh replace \(address) lladdr \(mac) dev \(device) nud permanent"
        case .rule(let address, let prefixLength, let table, let priority):
            "rule add from \(address)/\(prefixLength) lookup \(table) priority \(priority)"
        case .address(let address, let prefixLength, let device):
            "address replace \(address)/\(prefixLength) dev \(device)"
        }
    }

    /// The batch line that undoes the change; for a link, the state it had before.
    func undoCommand(previousLink: LinkState?) -> String? {
        switch self {
        case .link(let name, _, _):
            guard let previousLink else { return nil }
            return "link set dev \(name) mtu \(previousLink.mtu)" + (previousLink.up ? " up" : " down")
        case .route(let address, let prefixLength, let device, let gateway, let table):
            return "route del " + Self.routeSelector(address, prefixLength, device, gateway, table)
        case .neighbourProxy(let address, let device):
            return "neigh del proxy \(address) dev \(device)"
        case .neighbour(let address, _, let device):
            return "neigh del \(address) dev \(device)"
        case .rule(let address, let prefixLength, let table, let priority):
            return "rule del from \(address)/\(prefixLength) lookup \(table) priority \(priority)"
        case .address(let address, let prefixLength, let device):
            return "address del \(address)/\(prefixLength) dev \(device)"
        }
    }

    private static func routeSelector(_ address: IPv4Address, _ prefixLength: Int, _ device: String,
                                      _ gateway: IPv4Address?, _ table: Int?) -> String {
        "\(address)/\(prefixLength)" + (gateway.map { " via \($0)" } ?? "") + " dev \(device)"
            + (table.map { " table \($0)" } ?? "")
    }

    /// A link's MTU and administrative state, read from sysfs.
    struct LinkState: Hashable, Sendable {
        var mtu: Int
        var up: Bool
    }
}

/// A kernel parameter under `/proc/sys`, named as `sysctl(8)` names it.
public struct Sysctl: Hashable, Sendable, CustomStringConvertible {
    /// The path below `/proc/sys`, with `/` separators.
    public let path: String

    /// `net.ipv4.ip_forward` and the like. Interface names with dots need ``ipv4(_:interface:)``.
    public init(_ name: String) {
        path = name.replacingDots()
    }

    /// The sysctl at `path` below `/proc/sys`, with `/` separators.
    init(path: String) {
        self.path = path
    }

    /// `net.ipv4.ip_forward`.
    public static let ipv4Forwarding = Sysctl("net.ipv4.ip_forward")

    /// `net.ipv4.conf.INTERFACE.NAME`, e.g. `proxy_arp`, `forwarding`, `rp_filter`.
    public static func ipv4(_ name: String, interface: String) -> Sysctl {
        Sysctl(path: "net/ipv4/conf/\(interface)/\(name)")
    }

    /// `net.ipv4.neigh.INTERFACE.NAME`, e.g. `proxy_delay`.
    public static func ipv4Neighbour(_ name: String, interface: String) -> Sysctl {
        Sysctl(path: "net/ipv4/neigh/\(interface)/\(name)")
    }

    /// `net.ipv6.conf.INTERFACE.NAME`, e.g. `disable_ipv6`.
    public static func ipv6(_ name: String, interface: String) -> Sysctl {
        Sysctl(path: "net/ipv6/conf/\(interface)/\(name)")
    }

    /// Whether the parameter belongs to `interface` (and vanishes with it).
    func belongs(to interface: String) -> Bool {
        path.hasSuffix("/\(interface)") || path.contains("/\(interface)/")
    }

    public var description: String { path.replacingSlashes() }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
    fileprivate func replacingSlashes() -> String { String(map { $0 == "/" ? "." : $0 }) }
}

/// Why iproute2 refused a change, or a sysctl could not be read or written.
public struct NetworkConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The failing command as one would type it, e.g. `ip route replace 10.10.0.50/32 dev glm0`,
    /// or `sysctl -w net.ipv4.ip_forward=1`.
    public let command: String
    /// What iproute2 printed on standard error for that command (or the errno text for a sysctl).
    public let standardError: String

    public init(command: String, standardError: String) {
        self.command = command
        self.standardError = standardError
    }

    public var description: String {
        "\(command): " + standardError.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
