import AgentRuntime
import EBPFDataPlane
import Foundation
import GLMWire
import Logging

/// `tunnel`: runs a ``UserSpaceTunnel`` (or, with `--implementation ebpf`, an
/// ``EBPFTunnel``) with its OS configuration until SIGTERM or SIGINT, writing its
/// counters as JSON to a file every 100 ms (the file appears once the tunnel is up),
/// then stops and undoes everything it configured.
struct TunnelEnd {
    let options: ProbeOptions

    init(_ options: ProbeOptions) {
        self.options = options
    }

    func run() throws {
        // Block the stop signals before any thread starts, so all inherit the mask and
        // only the `sigtimedwait` below receives them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        var logger = Logger(label: "glm-tunnel-probe")
        logger.logLevel = .info
        let configurator = NetworkConfigurator(logger: logger)
        var configuration = UserSpaceTunnel.Configuration(
            localAddress: options.address("--local"), interfaceName: options.string("--name") ?? "glm0",
            mtu: options.int("--mtu", default: UserSpaceTunnel.defaultMTU))
        switch options.string("--offload") {
        case nil: break
        case "on": configuration.segmentationOffload = true
        case "off": configuration.segmentationOffload = false
        case let other?: ProbeOptions.usage("--offload \(other): on or off")
        }
        let tunnel: TunnelEndDevice
        switch options.string("--implementation") ?? "user-space" {
        case "user-space": tunnel = .userSpace(UserSpaceTunnel(configuration: configuration, configurator: configurator, logger: logger))
        case "ebpf": tunnel = .ebpf(EBPFTunnel(configuration: configuration, configurator: configurator, logger: logger))
        case let other: ProbeOptions.usage("--implementation \(other): ebpf or user-space")
        }
        let routes = try options.all("--route").map { try Self.route($0, role: .remote) }
            + options.all("--anchored").map { try Self.route($0, role: .anchored) }
        let countersFile = options.string("--counters")

        do {
            try configurator.set(.ipv4Forwarding, to: "1")
            try tunnel.startSynchronously()
            let device = tunnel.interfaceName
            for route in routes { try tunnel.installSynchronously(route) }
            for text in options.all("--prepare") {
                tunnel.prepareSynchronously(try Self.route(text, role: .remote))
            }
            if options.has("--os-routes") {
                try configurator.apply(routes.filter { $0.role == .remote }.map {
                    .route(to: $0.address, prefixLength: $0.prefixLength, device: device)
                })
            }
            if let policy = options.string("--policy") {
                let parts = policy.split(separator: "=")
                guard parts.count == 2, let (source, length) = ProbeOptions.prefix(parts[0]), let table = Int(parts[1]) else {
                    ProbeOptions.usage("--policy \(policy) is not SOURCE=TABLE")
                }
                try configurator.apply([.rule(from: source, prefixLength: length, table: table, priority: 100),
                                        .route(to: .any, prefixLength: 0, device: device, table: table)])
            }
            if let interface = options.string("--proxy-arp") {
                let proxy = ProxyARP(configurator: configurator, logger: logger)
                for route in routes where route.role == .remote && route.prefixLength == 32 {
                    try proxy.announce(route.address, on: interface)
                }
            }
            print("tunnel \(device) up: offload \(tunnel.usesSegmentationOffload), \(tunnel.implementation)")
            fflush(nil)
            Self.write(tunnel, to: countersFile)

            var timeout = timespec(tv_sec: 0, tv_nsec: 100_000_000)
            while true {
                let received = sigtimedwait(&signals, nil, &timeout)
                if received == SIGTERM || received == SIGINT { break }
                Self.write(tunnel, to: countersFile)
            }
        } catch {
            tunnel.stopSynchronously()
            configurator.teardown()
            throw error
        }
        tunnel.stopSynchronously()
        let failures = configurator.teardown()
        Self.write(tunnel, to: countersFile)
        for failure in failures {
            FileHandle.standardError.write(Data("teardown: \(failure)\n".utf8))
        }
        if !failures.isEmpty { exit(3) }
    }

    /// `PREFIX=PEER[,bare|tlv|gre|gre:KEY]`.
    static func route(_ text: String, role: TunnelRoute.Role) throws -> TunnelRoute {
        let parts = text.split(separator: "=")
        let target = parts.count == 2 ? parts[1].split(separator: ",") : []
        guard parts.count == 2, let (address, length) = ProbeOptions.prefix(parts[0]),
              let peerText = target.first, let peer = IPv4Address(peerText) else {
            ProbeOptions.usage("route \(text) is not PREFIX=PEER[,FRAMING]")
        }
        var framing = TunnelFrame.Format.bare
        if target.count > 1 {
            switch target[1] {
            case "bare": framing = .bare
            case "tlv": framing = .tlv
            case "gre": framing = .tlvGRE(key: nil)
            case let spec where spec.hasPrefix("gre:"):
                guard let key = UInt32(spec.dropFirst(4)) else { ProbeOptions.usage("bad GRE key in \(text)") }
                framing = .tlvGRE(key: key)
            default: ProbeOptions.usage("unknown framing in \(text)")
            }
        }
        return TunnelRoute(address: address, prefixLength: length, peer: peer, framing: framing, role: role)
    }

    static func write(_ tunnel: TunnelEndDevice, to path: String?) {
        guard let path else { return }
        let counters = tunnel.counters
        var fields = [
            ("packetsOut", counters.packetsOut), ("bytesOut", counters.bytesOut),
            ("packetsIn", counters.packetsIn), ("bytesIn", counters.bytesIn),
        ]
        for reason in TunnelDropReason.allCases {
            fields.append(("dropped_\(reason.rawValue)", counters[dropped: reason]))
        }
        if case .ebpf(let kernel) = tunnel {
            let moved = kernel.kernelCounters
            fields += [("kernelPacketsOut", moved.tunnel.packetsOut), ("kernelPacketsIn", moved.tunnel.packetsIn),
                       ("kernelBytesOut", moved.tunnel.bytesOut), ("kernelBytesIn", moved.tunnel.bytesIn),
                       ("passedOut", moved.passedOut), ("passedIn", moved.passedIn)]
        }
        let json = "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}\n"
        let temporary = path + ".tmp"
        _ = FileManager.default.createFile(atPath: temporary, contents: Data(json.utf8))
        rename(temporary, path)
    }
}

/// The tunnel a `tunnel` end runs.
enum TunnelEndDevice {
    case userSpace(UserSpaceTunnel)
    case ebpf(EBPFTunnel)

    var implementation: String {
        switch self {
        case .userSpace(let tunnel): tunnel.implementation
        case .ebpf(let tunnel): tunnel.implementation
        }
    }

    var interfaceName: String {
        switch self {
        case .userSpace(let tunnel): tunnel.interfaceName
        case .ebpf(let tunnel): tunnel.interfaceName
        }
    }

    var usesSegmentationOffload: Bool {
        switch self {
        case .userSpace(let tunnel): tunnel.usesSegmentationOffload
        case .ebpf(let tunnel): tunnel.usesSegmentationOffload
        }
    }

    var counters: TunnelCounters {
        switch self {
        case .userSpace(let tunnel): tunnel.counters
        case .ebpf(let tunnel): tunnel.counters
        }
    }

    func startSynchronously() throws {
        switch self {
        case .userSpace(let tunnel): try tunnel.startSynchronously()
        case .ebpf(let tunnel): try tunnel.startSynchronously()
        }
    }

    func installSynchronously(_ route: TunnelRoute) throws {
        switch self {
        case .userSpace(let tunnel): try tunnel.installSynchronously(route)
        case .ebpf(let tunnel): try tunnel.installSynchronously(route)
        }
    }

    /// A preparation (make-before-break), from outside Swift concurrency.
    func prepareSynchronously(_ route: TunnelRoute) {
        let done = DispatchSemaphore(value: 0)
        Task {
            switch self {
            case .userSpace(let tunnel): await tunnel.prepare(route)
            case .ebpf(let tunnel): await tunnel.prepare(route)
            }
            done.signal()
        }
        done.wait()
    }

    func removeSynchronously(_ address: IPv4Address) {
        switch self {
        case .userSpace(let tunnel): tunnel.removeSynchronously(address)
        case .ebpf(let tunnel): tunnel.removeSynchronously(address)
        }
    }

    func stopSynchronously() {
        switch self {
        case .userSpace(let tunnel): tunnel.stopSynchronously()
        case .ebpf(let tunnel): tunnel.stopSynchronously()
        }
    }
}
