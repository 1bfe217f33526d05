/// A guest's IPv4 configuration as the guest itself reports it (`ip -4 address show`,
/// `ip route`), to assert that a migration left it unchanged.
public struct GuestNetworkConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The interface the addresses were read from, `eth0`.
    public let interface: String
    /// The interface's IPv4 addresses with their prefix lengths, `10.10.0.50/24`.
    public let addresses: [String]
    /// The default route's gateway, or nil without a default route.
    public let defaultGateway: String?
    /// Every IPv4 route, one line each, whitespace collapsed.
    public let routes: [String]

    public init(interface: String, addresses: [String], defaultGateway: String?, routes: [String]) {
        self.interface = interface
        self.addresses = addresses
        self.defaultGateway = defaultGateway
        self.routes = routes
    }

    /// Parses the output of `ip -4 address show INTERFACE` and of `ip route` (busybox's
    /// or iproute2's).
    public init(interface: String, addressOutput: String, routeOutput: String) {
        var addresses: [String] = []
        for line in Self.lines(addressOutput) {
            let words = line.split(separator: " ")
            if words.first == "inet", words.count > 1 { addresses.append(String(words[1])) }
        }
        let routes = Self.lines(routeOutput)
        var gateway: String?
        for route in routes {
            let words = route.split(separator: " ")
            if words.first == "default", let via = words.firstIndex(of: "via"), via + 1 < words.count {
                gateway = String(words[via + 1])
                break
            }
        }
        self.init(interface: interface, addresses: addresses, defaultGateway: gateway, routes: routes)
    }

    /// The shell commands whose output ``init(interface:addressOutput:routeOutput:)`` reads.
    public static func commands(interface: String = "eth0") -> (address: String, route: String) {
        ("ip -4 address show \(interface)", "ip route")
    }

    private static func lines(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
            .filter { !$0.isEmpty }
    }

    public var description: String {
        "\(interface) \(addresses.joined(separator: ",")) gateway \(defaultGateway ?? "none"); routes: "
            + routes.joined(separator: " | ")
    }
}
