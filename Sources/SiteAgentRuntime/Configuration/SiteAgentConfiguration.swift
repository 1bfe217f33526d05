import AgentConfiguration
import GLMWire
import Logging
import SiteAgentCore

/// Everything the site agent daemon is told by its configuration file: the policy the
/// protocol core follows, the bridges it watches, and where it listens, tunnels and
/// reports.
///
/// Built only by ``load(path:)`` or ``init(yaml:path:)``, which refuse a file that is
/// not entirely valid; `Docs/site-agent.md` ("Configuration") documents every key.
public struct SiteAgentConfiguration: Sendable {
    /// The home agents, their VMs and the timers. `policy.address` is the signaling
    /// address the daemon binds and the one its PBUs come from.
    public var policy: SiteAgentPolicy
    /// UDP port for signaling (RFC 5844 uses 5436).
    public var listenPort: UInt16
    /// The host bridges the VMs' taps are on: watched for announces, served on.
    public var bridges: [String]
    /// The ports that join the bridges to the site's LAN: announces that come in by them
    /// are other hypervisors' VMs, never registered here. Nil when the file does not say:
    /// the bridges' ports that are network devices, bonds or VLANs are taken at start
    /// (``BridgeUplinks``).
    public var uplinks: Set<String>?
    /// Name of the TUN device the data plane creates.
    public var tunnelInterface: String
    /// UDP port for the data tunnel (RFC 5844 uses 5437).
    public var tunnelPort: UInt16
    /// MTU of the TUN device.
    public var tunnelMTU: Int
    /// Which data plane moves the tunnelled packets (`tunnel.implementation`).
    public var tunnelImplementation: TunnelImplementation = .auto
    /// Path of the local control socket (`site-agent status`, `site-agent notify`).
    public var controlSocket: String
    /// Where the Prometheus endpoint listens; nil when metrics are off.
    public var metrics: MetricsEndpoint?
    /// The least severe level that is logged.
    public var logLevel: Logger.Level
    /// `text` or `json` lines (journald priorities added under systemd either way).
    public var logFormat: LogFormat

    /// The data plane's journal of the OS changes it made (routes, rules, sysctls), beside
    /// the control socket: `/run/glm/site-agent.network` for the default socket. A start
    /// after a crash undoes what it lists; a clean stop deletes it.
    public var networkJournal: String {
        (controlSocket.hasSuffix(".sock") ? String(controlSocket.dropLast(5)) : controlSocket) + ".network"
    }

    /// The VMs the configuration names under a home agent other than this site's own:
    /// foreign wherever they appear here.
    public var foreignVMHints: Set<MACAddress> {
        Set(policy.homeAgents.filter { $0.address != policy.localHomeAgent }.flatMap(\.vms))
    }

    /// The keys whose new values differ from these and take effect only at a restart:
    /// what the daemon binds, creates or sets up when it starts.
    public func restartOnlyDifferences(from new: SiteAgentConfiguration) -> [String] {
        var keys: [String] = []
        if new.policy.address != policy.address { keys.append("address") }
        if new.listenPort != listenPort { keys.append("port") }
        if new.bridges != bridges { keys.append("bridges") }
        if new.uplinks != uplinks { keys.append("uplinks") }
        if new.tunnelInterface != tunnelInterface || new.tunnelPort != tunnelPort || new.tunnelMTU != tunnelMTU
            || new.tunnelImplementation != tunnelImplementation {
            keys.append("tunnel")
        }
        if new.controlSocket != controlSocket { keys.append("control-socket") }
        if new.metrics != metrics { keys.append("metrics") }
        if new.logLevel != logLevel { keys.append("log-level") }
        if new.logFormat != logFormat { keys.append("log-format") }
        return keys
    }

    public static let defaultListenPort: UInt16 = 5436
    public static let defaultTunnelPort: UInt16 = 5437
    public static let defaultTunnelInterface = "glm0"
    public static let defaultTunnelMTU = 1460
    public static let defaultControlSocket = "/run/glm/site-agent.sock"
    public static let defaultMetrics = MetricsEndpoint(host: "127.0.0.1", port: 9437)
    public static let defaultLogLevel = Logger.Level.info

    init(policy: SiteAgentPolicy, listenPort: UInt16, bridges: [String], uplinks: Set<String>?, tunnelInterface: String,
         tunnelPort: UInt16, tunnelMTU: Int, controlSocket: String, metrics: MetricsEndpoint?, logLevel: Logger.Level,
         logFormat: LogFormat = .text) {
        self.policy = policy
        self.listenPort = listenPort
        self.bridges = bridges
        self.uplinks = uplinks
        self.tunnelInterface = tunnelInterface
        self.tunnelPort = tunnelPort
        self.tunnelMTU = tunnelMTU
        self.controlSocket = controlSocket
        self.metrics = metrics
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    /// Reads and validates the configuration file at `path`; relative paths inside it
    /// (`key-file`, `control-socket`) are taken from the file's own directory.
    public static func load(path: String) throws(ConfigurationError) -> SiteAgentConfiguration {
        try SiteAgentConfiguration(yaml: ConfigurationFile.configurationText(path), path: path)
    }

    /// Parses and validates configuration text; `path` names it in errors and anchors
    /// relative paths, as if the text had been read from there.
    public init(yaml: String, path: String) throws(ConfigurationError) {
        self = try SiteConfigurationLoader(path: path).load(yaml: yaml)
    }
}
