@testable import AgentRuntime
import GLMWire
import Testing

/// The iproute2 lines the configurator sends for each change and its undo, and how it
/// reads iproute2's batch diagnostics. No root needed.
@Suite("Network changes as iproute2 commands")
struct NetworkChangeTests {
    @Test func commandsAndTheirUndo() {
        let vm = IPv4Address(10, 10, 0, 50)
        let cases: [(NetworkChange, String, String?)] = [
            (.route(to: vm, device: "glm0"), "route replace 10.10.0.50/32 dev glm0", "route del 10.10.0.50/32 dev glm0"),
            (.route(to: .any, prefixLength: 0, device: "glm0", table: 100),
             "route replace 0.0.0.0/0 dev glm0 table 100", "route del 0.0.0.0/0 dev glm0 table 100"),
            (.route(to: IPv4Address(10, 10, 0, 0), prefixLength: 24, device: "wan0", via: IPv4Address(198, 18, 1, 2)),
             "route replace 10.10.0.0/24 via 198.18.1.2 dev wan0", "route del 10.10.0.0/24 via 198.18.1.2 dev wan0"),
            (.neighbourProxy(vm, device: "br-home"), "neigh replace proxy 10.10.0.50 dev br-home",
             "neigh del proxy 10.10.0.50 dev br-home"),
            (.rule(from: vm, table: 100, priority: 1000), "rule add from 10.10.0.50/32 lookup 100 priority 1000",
             "rule del from 10.10.0.50/32 lookup 100 priority 1000"),
            (.address(IPv4Address(10, 10, 0, 1), prefixLength: 32, device: "br0"), "address replace 10.10.0.1/32 dev br0",
             "address del 10.10.0.1/32 dev br0"),
            (.link("glm0", mtu: 1460, up: true), "link set dev glm0 mtu 1460 up", nil),
        ]
        for (change, command, undo) in cases {
            #expect(change.command == command)
            #expect(change.undoCommand(previousLink: nil) == undo)
        }
        #expect(NetworkChange.link("glm0", mtu: 1460).undoCommand(previousLink: .init(mtu: 1500, up: false))
            == "link set dev glm0 mtu 1500 down")
        #expect(NetworkChange.rule(from: vm, table: 100, priority: 1).device == nil)
        #expect(NetworkChange.route(to: vm, device: "glm0").device == "glm0")
    }

    @Test func sysctlNames() {
        #expect(Sysctl.ipv4Forwarding.path == "net/ipv4/ip_forward")
        #expect(Sysctl("net.ipv4.conf.all.forwarding").path == "net/ipv4/conf/all/forwarding")
        // An interface name with a dot stays one path component.
        let vlan = Sysctl.ipv4("proxy_arp", interface: "eth0.100")
        #expect(vlan.path == "net/ipv4/conf/eth0.100/proxy_arp")
        #expect(vlan.belongs(to: "eth0.100"))
        #expect(!vlan.belongs(to: "eth0"))
        #expect(Sysctl.ipv4Neighbour("proxy_delay", interface: "br-home").path == "net/ipv4/neigh/br-home/proxy_delay")
        #expect(Sysctl.ipv6("disable_ipv6", interface: "glm0").description == "net.ipv6.conf.glm0.disable_ipv6")
    }

    @Test func batchDiagnosticsSplitByLine() {
        let text = """
        Cannot find device "glm9"
        Command failed -:3
        RTNETLINK answers: File exists
        Command failed -:5
        RTNETLINK answers: No such file or directory

        """
        let diagnostics = NetworkConfigurator.diagnostics(in: text)
        #expect(diagnostics.failures.map(\.line) == [3, 5])
        #expect(diagnostics.failures.map(\.text) == ["Cannot find device \"glm9\"", "RTNETLINK answers: File exists"])
        #expect(diagnostics.trailing == "RTNETLINK answers: No such file or directory")
        #expect(NetworkConfigurator.isAlreadyGone("Cannot find device \"glm0\""))
        #expect(!NetworkConfigurator.isAlreadyGone("RTNETLINK answers: Operation not permitted"))
    }
}
