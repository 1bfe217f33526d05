import AgentRuntime
import EBPFDataPlane
import Foundation
import GLMWire
import Logging

/// `route-changes`: how long a tunnel takes to take a route change, as the agents make
/// them at a handoff. Starts a tunnel (`--implementation`), then times N installs of a
/// host route, N moves of each to another peer (the handoff), and N removals, and prints
/// the medians and 99th percentiles in microseconds. What is timed is the data plane's
/// call: the table's update and, for eBPF, the map writes that mirror it.
enum RouteChanges {
    static func run(_ options: ProbeOptions) throws {
        var logger = Logger(label: "glm-tunnel-probe")
        logger.logLevel = .warning
        let configurator = NetworkConfigurator(logger: logger)
        let configuration = UserSpaceTunnel.Configuration(localAddress: options.address("--local"),
                                                          interfaceName: options.string("--name") ?? "glmbench0")
        let count = options.int("--routes", default: 1000)
        let tunnel: TunnelEndDevice = options.string("--implementation") == "ebpf"
            ? .ebpf(EBPFTunnel(configuration: configuration, configurator: configurator, logger: logger))
            : .userSpace(UserSpaceTunnel(configuration: configuration, configurator: configurator, logger: logger))
        try tunnel.startSynchronously()
        defer {
            tunnel.stopSynchronously()
            configurator.teardown()
        }
        let addresses = (0..<count).map { IPv4Address(rawValue: 0x0a40_0000 + UInt32($0)) }
        let first = IPv4Address(198, 18, 7, 1), second = IPv4Address(198, 18, 7, 2)
        func timed(_ body: (IPv4Address) throws -> Void) rethrows -> [Double] {
            try addresses.map { address in
                let start = DispatchTime.now().uptimeNanoseconds
                try body(address)
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
            }
        }
        let installs = try timed { try tunnel.installSynchronously(TunnelRoute(address: $0, peer: first)) }
        let moves = try timed { try tunnel.installSynchronously(TunnelRoute(address: $0, peer: second)) }
        let removals = timed { tunnel.removeSynchronously($0) }
        func figures(_ values: [Double]) -> String {
            let sorted = values.sorted()
            let pick = { (fraction: Double) in sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))] }
            return String(format: "median %.1f µs, p99 %.1f µs", pick(0.5), pick(0.99))
        }
        print("route changes (\(tunnel.implementation), \(count) host routes): install \(figures(installs)); "
              + "move to another peer \(figures(moves)); remove \(figures(removals))")
    }
}
