import AgentRuntime
import GLMWire
import HomeAgentCore
import Logging
import Metrics

/// Turns the core's notices into log lines (one per binding change, with VM, old site,
/// new site and latency) and metrics.
struct NoticeReporter {
    let logger: Logger
    private let updates = CounterFamily(
        label: "glm_home_updates_total", dimension: "status",
        values: [0, 128, 129, 146, 152, 153, 154, 156, 157, 160, 163, 170, 171].map {
            BindingAcknowledgementStatus(rawValue: UInt8($0)).name ?? "\($0)"
        })
    private let handoffs = Counter(label: "glm_home_handoffs_total")
    private let revocations = Counter(label: "glm_home_revocations_total")
    private let revocationsAbandoned = Counter(label: "glm_home_revocations_abandoned_total")
    private let malformed = Counter(label: "glm_home_malformed_total")
    private let unauthenticated = Counter(label: "glm_home_unauthenticated_total")
    private let unknownPeers = Counter(label: "glm_home_unknown_peer_total")
    private let registrationLatency = Timer(label: "glm_home_registration_latency_seconds")
    private let preparations = CounterFamily(label: "glm_home_preparations_total", dimension: "outcome",
                                             values: ["added", "completed", "aborted", "replaced", "expired"])

    init(logger: Logger) {
        self.logger = logger
    }

    private func countUpdate(_ status: BindingAcknowledgementStatus) {
        updates.increment(status.name ?? "\(status.rawValue)")
    }

    func report(_ notice: HomeAgentNotice) {
        switch notice {
        case .bindingCreated(let b, let latency):
            countUpdate(.accepted)
            registrationLatency.recordSeconds(latency)
            logger.info("binding created", metadata: ["vm": "\(b.vm)", "site": "\(b.siteName)", "old_site": "-",
                                                      "latency_ms": "\(milliseconds(latency))", "address": "\(b.homeAddress)"])
        case .bindingMoved(let b, let from, let latency):
            countUpdate(.accepted)
            handoffs.increment()
            registrationLatency.recordSeconds(latency)
            logger.info("binding moved", metadata: ["vm": "\(b.vm)", "site": "\(b.siteName)", "old_site": "\(from)",
                                                    "latency_ms": "\(milliseconds(latency))", "address": "\(b.homeAddress)"])
        case .bindingRefreshed(let b):
            countUpdate(.accepted)
            logger.debug("binding refreshed", metadata: ["vm": "\(b.vm)", "site": "\(b.siteName)"])
        case .preparationAdded(let p):
            preparations.increment("added")
            logger.info("site preparing to receive VM", metadata: ["vm": "\(p.site.vm)", "site": "\(p.siteName)",
                                                                   "address": "\(p.site.homeAddress)"])
        case .preparationEnded(let p, let end):
            preparations.increment(end.rawValue)
            logger.info("preparation over", metadata: ["vm": "\(p.site.vm)", "site": "\(p.siteName)", "outcome": "\(end.rawValue)"])
        case .bindingRemoved(let b, let reason):
            logger.info("binding removed", metadata: ["vm": "\(b.vm)", "site": "-", "old_site": "\(b.siteName)",
                                                      "reason": "\(reason.rawValue)"])
        case .atHome(let vm, let host, let prepared):
            logger.info(prepared ? "return home prepared by a home hypervisor" : "VM at home on a home hypervisor",
                        metadata: ["vm": "\(vm)", "host": "\(host)"])
        case .registrationRefused(let status, let vm, let site, let reason):
            countUpdate(status)
            // A site agent learns which home agent anchors a VM by asking all of them: the
            // others' 153 is the federation working, not a fault.
            let level: Logger.Level = status == .notLMAForThisMobileNode ? .debug : .notice
            logger.log(level: level, "registration refused", metadata: ["status": "\(status)", "vm": "\(vm.map { "\($0)" } ?? "-")",
                                                             "site": "\(site)", "reason": "\(reason)"])
        case .staleUpdateIgnored(let vm, let site, let current):
            logger.info("late update from a previous site ignored", metadata: ["vm": "\(vm)", "site": "\(site)", "current_site": "\(current)"])
        case .malformed(let from, let reason):
            malformed.increment()
            logger.notice("malformed signaling dropped", metadata: ["from": "\(from)", "reason": "\(reason)"])
        case .unauthenticated(let from, let verdict):
            unauthenticated.increment()
            logger.notice("unauthenticated signaling dropped", metadata: ["from": "\(from)", "verdict": "\(verdict.name)"])
        case .unknownPeer(let from):
            unknownPeers.increment()
            logger.notice("signaling from an unknown peer dropped", metadata: ["from": "\(from)"])
        case .ignored(let from, let reason):
            logger.debug("signaling ignored", metadata: ["from": "\(from)", "reason": "\(reason)"])
        case .revocationSent(let vm, let site, let attempt):
            if attempt == 1 { revocations.increment() }
            logger.info("revocation sent", metadata: ["vm": "\(vm)", "site": "\(site)", "attempt": "\(attempt)"])
        case .revocationAcknowledged(let vm, let site, let status):
            logger.info("revocation acknowledged", metadata: ["vm": "\(vm)", "site": "\(site)", "status": "\(status.rawValue)"])
        case .revocationAbandoned(let vm, let site):
            revocationsAbandoned.increment()
            logger.warning("revocation abandoned: no acknowledgement", metadata: ["vm": "\(vm)", "site": "\(site)"])
        case .peerRestarted(let site, let counter):
            logger.warning("site restarted", metadata: ["site": "\(site)", "restart_counter": "\(counter)"])
        case .peerUnreachable(let site, let host):
            logger.warning("site unreachable: heartbeats unanswered", metadata: ["site": "\(site)", "host": "\(host)"])
        case .peerReachable(let site, let host):
            logger.info("site reachable again", metadata: ["site": "\(site)", "host": "\(host)"])
        }
    }

    private func milliseconds(_ seconds: Double) -> String {
        String(Int((seconds * 1000).rounded()))
    }
}
