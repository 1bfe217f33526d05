import Foundation
import GLMWire
import SiteAgentCore

/// What the site agent's control socket answers, one request a line:
///
/// * `status` — JSON: every VM known here with its state (`registering`, `preparing`,
///   `prepared`, `served`, `home`, `returning`, `unanchored`), its home agent once known,
///   the addresses its home agent gave when served, and the refusals of its last exchange.
/// * `notify arrived|incoming|departed|aborted MAC` — what a libvirt hook or an
///   orchestrator says. `arrived` and `incoming` are answered once the home agents have
///   (``outcome(of:daemon:)``): `{"ok":true,"state":…}`, or an error naming each home
///   agent's refusal; the others `{"ok":true}` once handed to the daemon. An arrived VM
///   is served on the first of `bridges` whose forwarding table holds its MAC.
public enum SiteAgentControl {
    public static func answer(_ request: String, daemon: SiteAgentDaemon, bridges: [String] = []) async -> [UInt8] {
        let words = request.split(separator: " ", omittingEmptySubsequences: true)
        switch words.first {
        case "status":
            return await status(daemon)
        case "notify":
            guard words.count == 3, let mac = MACAddress(String(words[2])) else {
                return error("usage: notify arrived|departed|incoming|aborted MAC")
            }
            switch words[1] {
            case "arrived":
                let bridge = bridges.first { BridgeForwardingTable.holds(mac, bridge: $0) }
                daemon.submit(.arrived(mac, bridge: bridge))
                return await outcome(of: mac, daemon: daemon)
            case "departed": daemon.submit(.departed(mac))
            case "incoming":
                daemon.submit(.incoming(mac, bridge: bridges.count == 1 ? bridges[0] : nil))
                return await outcome(of: mac, daemon: daemon)
            case "aborted": daemon.submit(.aborted(mac))
            default: return error("the event must be arrived, departed, incoming or aborted, not '\(words[1])'")
            }
            return Array("{\"ok\":true}".utf8)
        default:
            return error("unknown request; try status or notify arrived|departed|incoming|aborted MAC")
        }
    }

    /// One VM in `status`.
    public struct VMStatus: Codable, Hashable, Sendable {
        public var mac: String
        public var state: String
        public var homeAgent: String?
        public var address: String?
        public var gateway: String?
        /// The refusals of its last exchange: "home agent: status name".
        public var refusals: [String]?

        public init(mac: String, state: String, homeAgent: String?, address: String? = nil, gateway: String? = nil,
                    refusals: [String]? = nil) {
            self.mac = mac
            self.state = state
            self.homeAgent = homeAgent
            self.address = address
            self.gateway = gateway
            self.refusals = refusals
        }
    }

    /// The answer to `status`.
    public struct Status: Codable, Hashable, Sendable {
        public var vms: [VMStatus]
    }

    static func status(_ daemon: SiteAgentDaemon) async -> [UInt8] {
        var vms: [VMStatus] = []
        let refusals = await daemon.refusals()
        for (mac, state) in await daemon.states().sorted(by: { $0.key < $1.key }) {
            var entry = VMStatus(mac: "\(mac)", state: "registering", homeAgent: await daemon.homeAgentName(of: mac))
            entry.refusals = refusals[mac].map { $0.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" } }
            switch state {
            case .served(let vm), .prepared(let vm):
                if case .served = state { entry.state = "served" } else { entry.state = "prepared" }
                entry.address = "\(vm.address)/\(vm.prefixLength)"
                entry.gateway = "\(vm.gateway)"
            case .preparing:
                entry.state = "preparing"
            case .home:
                entry.state = "home"
            case .returning:
                entry.state = "returning"
            case .unanchored:
                entry.state = "unanchored"
                entry.homeAgent = nil
            case .registering:
                break
            }
            vms.append(entry)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(Status(vms: vms))) ?? Data("{\"vms\":[]}".utf8))
    }

    /// How long `notify arrived|incoming` waits for the home agents' answer before it
    /// says the registration is still under way.
    static let outcomeWait: Duration = .seconds(2)

    /// Waits for the registration or preparation `notify` started to be answered: `ok`
    /// with the VM's state once served, prepared, home or returning; an error naming each
    /// home agent's refusal when none accepts it.
    static func outcome(of mac: MACAddress, daemon: SiteAgentDaemon) async -> [UInt8] {
        let deadline = ContinuousClock.now + outcomeWait
        // Let the daemon take the event before the first look.
        try? await Task.sleep(for: .milliseconds(2))
        while true {
            let state = await daemon.states()[mac]
            let refusals = await daemon.refusals()[mac] ?? [:]
            let reasons = refusals.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            switch state {
            case .served?: return Array("{\"ok\":true,\"state\":\"served\"}".utf8)
            case .prepared?: return Array("{\"ok\":true,\"state\":\"prepared\"}".utf8)
            case .home?: return Array("{\"ok\":true,\"state\":\"home\"}".utf8)
            case .returning?: return Array("{\"ok\":true,\"state\":\"returning\"}".utf8)
            case .unanchored?: return error("no home agent accepts \(mac): \(reasons)")
            case nil: return error("\(mac) is not known here (a preparation for a VM already here is not needed)")
            case .registering?, .preparing?:
                guard ContinuousClock.now < deadline else {
                    if !reasons.isEmpty { return error("\(mac) is not accepted yet: \(reasons)") }
                    return Array("{\"ok\":true,\"state\":\"registering\",\"note\":\"no home agent has answered yet\"}".utf8)
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    private static func error(_ reason: String) -> [UInt8] {
        Array("{\"error\":\"\(reason.replacingOccurrences(of: "\"", with: "'"))\"}".utf8)
    }
}
