import AgentRuntime
import EBPFDataPlane
import GLMControl
import Logging
import Metrics
import ServiceLifecycle

/// Assembles the site agent as `site-agent run` runs it: daemon, bridge watchers,
/// control socket and metrics endpoint, as lifecycle services.
public struct SiteAgentRuntime: Sendable {
    public let daemon: SiteAgentDaemon
    public let services: [any Service]

    /// Bootstraps metrics (once per process) and prepares the services. With `dataPlane`
    /// the agent serves its VMs through a ``UserSpaceSiteDataPlane`` (TUN device, tunnel,
    /// policy routing, proxy ARP on the bridge each VM arrived on); without it (`--no-data-plane`)
    /// it runs for signaling only. The bridges are watched either way. The VMs the bridges'
    /// forwarding tables still hold (a restart of the agent) are handed to the daemon to be
    /// registered again.
    public static func start(configuration: SiteAgentConfiguration, configurationPath: String? = nil, dataPlane: Bool,
                             logger: Logger) -> SiteAgentRuntime {
        var plane: (any SiteDataPlane)? = nil
        var tunnelMetrics: TunnelMetrics? = nil
        if dataPlane {
            let configurator = NetworkConfigurator(journal: configuration.networkJournal, logger: logger)
            let tunnel = TunnelSelection.tunnel(
                configuration.tunnelImplementation,
                configuration: .init(localAddress: configuration.policy.address, interfaceName: configuration.tunnelInterface,
                                     port: configuration.tunnelPort, mtu: configuration.tunnelMTU),
                configurator: configurator, logger: logger)
            let redirect = BridgeRedirect(bridges: configuration.bridges, tunnelInterface: configuration.tunnelInterface,
                                          uplinks: configuration.uplinks ?? BridgeUplinks.detect(on: configuration.bridges),
                                          logger: logger)
            plane = UserSpaceSiteDataPlane(tunnel: tunnel, defaultBridge: configuration.bridges[0], mtu: configuration.tunnelMTU,
                                           redirect: redirect, pinned: configuration.foreignVMHints,
                                           configurator: configurator, logger: logger)
            tunnelMetrics = TunnelMetrics(dataPlane: { tunnel.dataPlaneStatus }) { tunnel.counters }
        }
        return start(configuration: configuration, configurationPath: configurationPath, dataPlane: plane,
                     tunnelMetrics: tunnelMetrics, logger: logger)
    }

    /// What the bridges' captures pass: hypervisors' announces after a migration (RARP, as
    /// QEMU and ESXi send them) and ARP requests, of which the core answers those of VMs
    /// served here.
    static let captureFilter = "\(LinkWatcher.announceFilter) or (arp and arp[6:2] = 1)"

    /// As ``start(configuration:dataPlane:logger:)`` with a data plane of the caller's
    /// (nil: signaling only).
    /// With `configurationPath`, SIGHUP reloads that file.
    public static func start(configuration: SiteAgentConfiguration, configurationPath: String? = nil,
                             dataPlane: (any SiteDataPlane)?, tunnelMetrics: TunnelMetrics? = nil,
                             logger: Logger) -> SiteAgentRuntime {
        let uplinks = configuration.uplinks ?? BridgeUplinks.detect(on: configuration.bridges)
        if configuration.uplinks == nil {
            if uplinks.isEmpty {
                logger.warning("no uplink found on the bridges and none configured: an announce on any port is taken as this host's VM's",
                               metadata: ["bridges": "\(configuration.bridges.joined(separator: ","))"])
            } else {
                logger.info("uplinks found on the bridges", metadata: ["uplinks": "\(uplinks.sorted().joined(separator: ","))"])
            }
        }
        let registry = AgentMetrics.bootstrap(agent: .siteAgent)
        let daemon = SiteAgentDaemon(configuration: configuration, dataPlane: dataPlane, logger: logger)
        for bridge in configuration.bridges {
            let present = BridgeForwardingTable.learnedMACs(bridge: bridge, excludingPorts: uplinks, logger: logger)
            if !present.isEmpty { daemon.submit(.present(present, bridge: bridge)) }
        }
        var services: [any Service] = [
            SiteAgentService(daemon: daemon, configurationPath: configurationPath, logger: logger),
            ControlService(path: configuration.controlSocket, logger: logger) { request in
                await SiteAgentControl.answer(request, daemon: daemon, bridges: configuration.bridges,
                                              tunnel: tunnelMetrics?.current, dataPlane: tunnelMetrics?.dataPlane)
            },
        ]
        let uplinkAnnounces = Counter(label: "glm_site_uplink_announces_ignored_total")
        for bridge in configuration.bridges {
            services.append(LinkWatcher(interface: bridge, filter: Self.captureFilter, threadName: "glm-\(bridge)",
                                        consequence: "VMs arriving on it will not be noticed", logger: logger) { frame in
                // An announce that came in over the LAN is another hypervisor's VM.
                if let mac = LocalAnnounce.sourceIfAnnounce(frame), let port = BridgeIngress.port(of: mac, bridge: bridge),
                   uplinks.contains(port) {
                    uplinkAnnounces.increment()
                    logger.debug("announce from the LAN ignored", metadata: ["vm": "\(mac)", "port": "\(port)"])
                    return
                }
                daemon.submit(.frame(frame, bridge: bridge))
            })
        }
        if let metrics = configuration.metrics {
            services.append(MetricsService(host: metrics.host, port: Int(metrics.port), registry: registry,
                                           tunnel: tunnelMetrics, logger: logger))
        }
        return SiteAgentRuntime(daemon: daemon, services: services)
    }
}
