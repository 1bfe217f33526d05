import AgentConfiguration
import HomeAgentCore
import Logging

/// Everything the home agent daemon is told by its configuration file: the policy the
/// protocol core enforces, and where the daemon listens, tunnels, stores and reports.
///
/// Built only by ``load(path:)`` or ``init(yaml:path:)``, which refuse a file that is
/// not entirely valid; `Docs/home-agent.md` ("Configuration") documents every key.
public struct HomeAgentConfiguration: Sendable {
    /// The sites, the VMs and the timers. `policy.address` is the signaling address the
    /// daemon binds and the one authenticators cover.
    public var policy: HomeAgentPolicy
    /// UDP port for signaling (RFC 5844 uses 5436).
    public var listenPort: UInt16
    /// UDP port for the data tunnel (RFC 5844 uses 5437).
    public var tunnelPort: UInt16
    /// The home LAN interface: proxy ARP for VMs away, and the capture that sees a VM
    /// announce itself when it comes home.
    public var homeInterface: String
    /// Name of the TUN device the daemon creates.
    public var tunnelInterface: String
    /// MTU of the TUN device: inner packets larger than this are not tunnelled whole.
    public var tunnelMTU: Int
    /// Which data plane moves the tunnelled packets (`tunnel.implementation`).
    public var tunnelImplementation: TunnelImplementation = .auto
    /// Path of the SQLite binding store (`store: sqlite`, the default).
    public var database: String
    /// With `store: etcd`, the cluster this home agent is a member of; nil for SQLite.
    public var cluster: ClusterSettings?
    /// Path of the local control socket (`home-agent bindings`, `glmctl bindings`).
    public var controlSocket: String
    /// Where the Prometheus endpoint listens; nil when metrics are off.
    public var metrics: MetricsEndpoint?
    /// The least severe level that is logged.
    public var logLevel: Logger.Level
    /// `text` or `json` lines (journald priorities added under systemd either way).
    public var logFormat: LogFormat

    /// The data plane's journal of the OS changes it made (routes, neighbour proxies,
    /// sysctls), beside the control socket: `/run/glm/home-agent.network` for the default
    /// socket. A start after a crash undoes what it lists; a clean stop deletes it.
    public var networkJournal: String {
        (controlSocket.hasSuffix(".sock") ? String(controlSocket.dropLast(5)) : controlSocket) + ".network"
    }

    /// Where the Prometheus endpoint listens.
    public typealias MetricsEndpoint = AgentConfiguration.MetricsEndpoint

    public static let defaultListenPort: UInt16 = 5436
    public static let defaultTunnelPort: UInt16 = 5437
    public static let defaultTunnelInterface = "glm0"
    public static let defaultTunnelMTU = 1400
    public static let defaultDatabase = "/var/lib/glm/home-agent.sqlite"
    public static let defaultControlSocket = "/run/glm/home-agent.sock"
    public static let defaultMetrics = MetricsEndpoint(host: "127.0.0.1", port: 9436)
    public static let defaultLogLevel = Logger.Level.info

    init(policy: HomeAgentPolicy, listenPort: UInt16, tunnelPort: UInt16, homeInterface: String,
         tunnelInterface: String, tunnelMTU: Int, database: String, controlSocket: String,
         metrics: MetricsEndpoint?, logLevel: Logger.Level, logFormat: LogFormat = .text, cluster: ClusterSettings? = nil) {
        self.policy = policy
        self.listenPort = listenPort
        self.tunnelPort = tunnelPort
        self.homeInterface = homeInterface
        self.tunnelInterface = tunnelInterface
        self.tunnelMTU = tunnelMTU
        self.database = database
        self.controlSocket = controlSocket
        self.metrics = metrics
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.cluster = cluster
    }

    /// Reads and validates the configuration file at `path`.
    ///
    /// Relative paths inside the file (`key-file`, `database`, `control-socket`) are
    /// taken from the file's own directory.
    public static func load(path: String) throws(ConfigurationError) -> HomeAgentConfiguration {
        try HomeAgentConfiguration(yaml: ConfigurationFile.configurationText(path), path: path)
    }

    /// Parses and validates configuration text; `path` names it in errors and anchors
    /// relative paths, as if the text had been read from there.
    public init(yaml: String, path: String) throws(ConfigurationError) {
        self = try ConfigurationLoader(path: path).load(yaml: yaml)
    }
}
