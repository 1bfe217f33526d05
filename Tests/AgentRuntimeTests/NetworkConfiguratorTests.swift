import AgentRuntime
import Foundation
import GLMWire
import LabSupport
import Testing

/// The configurator against the real kernel, on a veth pair made for the test in the
/// test's own network namespace (addresses from TEST-NET-2, 198.51.100.0/24). Needs root.
@Suite("Network configurator", .serialized)
struct NetworkConfiguratorTests {
    static let counter = Counter()

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }

    /// A veth pair `glmc<pid>_<n>a/b`, both ends up, deleted by the returned closure.
    static func vethPair(_ ip: String) throws -> (String, () -> Void) {
        let name = "glmc\(getpid() % 100_000)_\(counter.next())"
        let add = try ProgramRun(ip, ["link", "add", name + "a", "type", "veth", "peer", "name", name + "b"])
        try #require(add.succeeded, "ip link add: \(add.standardError)")
        for end in ["a", "b"] { _ = try ProgramRun(ip, ["link", "set", name + end, "up"]) }
        return (name + "a", { _ = try? ProgramRun(ip, ["link", "del", name + "a"]) })
    }

    static func prerequisites() -> String? {
        guard TestEnvironment.require(TestEnvironment.isRoot, "the configurator tests need root") else { return nil }
        guard let ip = TestEnvironment.tool("ip") else {
            _ = TestEnvironment.require(false, "iproute2 (ip) is not installed")
            return nil
        }
        return ip
    }

    static func contents(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Over rtnetlink (the default) and through iproute2: the kernel ends up the same.
    @Test(arguments: [true, false])
    func appliesRecordsAndUndoesEverything(netlink: Bool) throws {
        guard let ip = Self.prerequisites() else { return }
        let (link, removeLink) = try Self.vethPair(ip)
        defer { removeLink() }
        let target = IPv4Address(198, 51, 100, 7)
        let proxyDelay = Sysctl.ipv4Neighbour("proxy_delay", interface: link)
        let originalDelay = Self.contents("/proc/sys/\(proxyDelay.path)")

        let configurator = NetworkConfigurator(netlink: netlink)
        let changes: [NetworkChange] = [
            .link(link, mtu: 1400, up: true),
            .address(IPv4Address(198, 51, 100, 1), prefixLength: 24, device: link),
            .route(to: target, device: link),
            .route(to: IPv4Address(198, 51, 100, 128), prefixLength: 25, device: link, table: 4242),
            .rule(from: target, table: 4242, priority: 4242),
            .neighbourProxy(target, device: link),
        ]
        // The link first, alone: the rest is one call that rtnetlink can make whole.
        try configurator.apply([changes[0]])
        try configurator.apply(Array(changes.dropFirst()))
        try configurator.apply(changes)  // again: nothing recorded twice, the rule not added twice
        try configurator.set(proxyDelay, to: "0")
        #expect(configurator.installed == changes)
        #expect(Self.contents("/sys/class/net/\(link)/mtu") == "1400")
        #expect(try ProgramRun(ip, ["route", "show", "198.51.100.7"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines) == "198.51.100.7 dev \(link) scope link")
        #expect(try ProgramRun(ip, ["route", "show", "table", "4242"]).standardOutput.contains("198.51.100.128/25"))
        #expect(try ProgramRun(ip, ["rule", "show"]).standardOutput.components(separatedBy: "lookup 4242").count == 2)
        #expect(try ProgramRun(ip, ["neigh", "show", "proxy", "dev", link]).standardOutput.contains("198.51.100.7"))
        #expect(Self.contents("/proc/sys/\(proxyDelay.path)") == "0")
        #expect(try configurator.value(of: proxyDelay) == "0")

        // Withdrawing one entry, then one that is not there: neither is an error.
        try configurator.revert([.neighbourProxy(target, device: link)])
        try configurator.revert([.neighbourProxy(target, device: link)])
        #expect(try ProgramRun(ip, ["neigh", "show", "proxy", "dev", link]).standardOutput.isEmpty)

        #expect(configurator.teardown().isEmpty)
        #expect(configurator.installed.isEmpty)
        #expect(Self.contents("/sys/class/net/\(link)/mtu") == "1500")
        #expect(try ProgramRun(ip, ["route", "show", "198.51.100.7"]).standardOutput.isEmpty)
        #expect(try ProgramRun(ip, ["route", "show", "table", "4242"]).standardOutput.isEmpty)
        #expect(try !ProgramRun(ip, ["rule", "show"]).standardOutput.contains("lookup 4242"))
        #expect(try !ProgramRun(ip, ["address", "show", "dev", link]).standardOutput.contains("198.51.100.1"))
        #expect(Self.contents("/proc/sys/\(proxyDelay.path)") == originalDelay)
    }

    @Test func refusalsNameTheCommandAndIproute2sMessage() throws {
        guard let ip = Self.prerequisites() else { return }
        let (link, removeLink) = try Self.vethPair(ip)
        defer { removeLink() }
        let configurator = NetworkConfigurator()
        let target = IPv4Address(198, 51, 100, 9)

        // The second command fails: the first stays installed and recorded.
        do {
            try configurator.apply([.route(to: target, device: link), .route(to: target, device: "glm-missing0")])
            Issue.record("a route to a missing device was accepted")
        } catch {
            #expect(error.command == "ip route replace 198.51.100.9/32 dev glm-missing0")
            #expect(error.standardError.contains("Cannot find device"), "\(error.standardError)")
        }
        #expect(configurator.installed == [.route(to: target, device: link)])

        // A neighbour command makes `ip` exit on failure without saying which line: the
        // configurator still knows it was the second.
        do {
            try configurator.apply([.route(to: target, prefixLength: 32, device: link, table: 4243),
                                    .neighbourProxy(target, device: "glm-missing0")])
            Issue.record("a proxy entry on a missing device was accepted")
        } catch {
            #expect(error.command == "ip neigh replace proxy 198.51.100.9 dev glm-missing0")
            #expect(!error.standardError.isEmpty)
        }
        #expect(configurator.installed.count == 2)

        do {
            try configurator.set(Sysctl("net.ipv4.conf.glm-missing0.forwarding"), to: "1")
            Issue.record("a sysctl of a missing device was written")
        } catch {
            #expect(error.command == "sysctl net.ipv4.conf.glm-missing0.forwarding")
        }
        #expect(configurator.teardown().isEmpty)
        #expect(try ProgramRun(ip, ["route", "show", "table", "4243"]).standardOutput.isEmpty)
    }
}

/// The TUN device itself. Needs root.
@Suite("TUN device")
struct TunDeviceTests {
    @Test func createsNamedDeviceThatVanishesOnClose() throws {
        guard TestEnvironment.require(TestEnvironment.isRoot, "creating a TUN device needs root") else { return }
        let name = "glmt\(getpid() % 100_000)"
        let device = try TunDevice(name: name)
        #expect(device.name == name)
        #expect(device.fileDescriptor >= 0)
        #expect(!device.segmentationOffload)
        #expect(FileManager.default.fileExists(atPath: "/sys/class/net/\(name)"))
        // Nothing routed into it yet: a read finds nothing and does not block.
        var buffer = [UInt8](repeating: 0, count: 2048)
        #expect(try buffer.withUnsafeMutableBytes { try device.read(into: $0) } == nil)
        device.close()
        device.close()
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(name)"))

        let numbered = try TunDevice(name: "glmt\(getpid() % 1000)x%d", segmentationOffload: true)
        defer { numbered.close() }
        #expect(numbered.name.hasPrefix("glmt") && !numbered.name.contains("%"))
        #expect(numbered.segmentationOffload)
        #expect(NetworkInterface.index(of: numbered.name) != nil)
    }

    @Test func refusesBadNames() {
        #expect(throws: DataPlaneError.self) { try TunDevice(name: "") }
        #expect(throws: DataPlaneError.self) { try TunDevice(name: "a-name-far-too-long") }
        #expect(throws: DataPlaneError.self) { try NetworkInterface.macAddress(of: "glm-missing0") }
    }
}
