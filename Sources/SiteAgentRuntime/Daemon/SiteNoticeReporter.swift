import AgentRuntime
import GLMWire
import Logging
import Metrics
import SiteAgentCore

/// Turns the site core's notices into log lines (one per registration, with VM, home
/// agent and latency) and metrics.
struct SiteNoticeReporter {
    let logger: Logger
    private let announces = Counter(label: "glm_site_announces_total")
    private let revocations = Counter(label: "glm_site_revocations_total")
    private let unreachable = Counter(label: "glm_site_home_agent_unreachable_total")
    private let restarts = Counter(label: "glm_site_home_agent_restarts_total")
    private let preparations = CounterFamily(label: "glm_site_preparations_total", dimension: "outcome",
                                             values: ["prepared", "completed", "aborted", "expired"])
    private let malformed = Counter(label: "glm_site_malformed_total")
    private let unauthenticated = Counter(label: "glm_site_unauthenticated_total")
    private let registrationLatency = Timer(label: "glm_site_registration_latency_seconds")
    private let registrations = CounterFamily(label: "glm_site_registrations_total", dimension: "status")
    private let unanchored = Counter(label: "glm_site_unanchored_total")

    init(logger: Logger) {
        self.logger = logger
    }

    /// Registrations answered, by the PBA's status.
    private func countRegistration(_ status: BindingAcknowledgementStatus) {
        registrations.increment(status.name ?? "\(status.rawValue)")
    }

    func report(_ notice: SiteAgentNotice) {
        switch notice {
        case .announceSeen(let vm):
            announces.increment()
            logger.debug("announce seen", metadata: ["vm": "\(vm)"])
        case .registrationSent(let vm, let homeAgent, let attempt, let handoff):
            let metadata: Logger.Metadata = ["vm": "\(vm)", "home_agent": "\(homeAgent)", "attempt": "\(attempt)",
                                             "handoff": "\(handoff.rawValue)"]
            if attempt == 1 { logger.info("registration sent", metadata: metadata) } else { logger.debug("registration retransmitted", metadata: metadata) }
        case .registered(let vm, let latency):
            countRegistration(.accepted)
            registrationLatency.recordSeconds(latency)
            logger.info("VM registered and served", metadata: ["vm": "\(vm.vm)", "address": "\(vm.address)/\(vm.prefixLength)",
                                                               "gateway": "\(vm.gateway)", "home_agent": "\(vm.homeAgent)",
                                                               "latency_ms": "\(Int((latency * 1000).rounded()))"])
        case .refreshed(let vm):
            countRegistration(.accepted)
            logger.debug("registration refreshed", metadata: ["vm": "\(vm)"])
        case .refused(let vm, let homeAgent, let status, let retryIn):
            countRegistration(status)
            // By home agent and status: a key or SPI mismatch (146), a VM a home agent will
            // not host here (154), its resources (130)... Rare enough to look up each time.
            Counter(label: "glm_site_refusals_total",
                    dimensions: [("home_agent", homeAgent), ("status", status.name ?? "\(status.rawValue)")]).increment()
            logger.warning("registration refused", metadata: ["vm": "\(vm)", "home_agent": "\(homeAgent)",
                                                              "status": "\(status)",
                                                              "retry_in_s": "\(retryIn.map { "\($0)" } ?? "never")"])
        case .unanchored(let vm, let refusals, let retryIn):
            unanchored.increment()
            let answers = refusals.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            logger.warning("no home agent accepts the VM", metadata: ["vm": "\(vm)", "refusals": "\(answers.joined(separator: "; "))",
                                                                       "retry_in_s": "\(retryIn)"])
        case .atHome(let vm):
            logger.info("VM at home on this host", metadata: ["vm": "\(vm)"])
        case .returnPrepared(let vm):
            preparations.increment("prepared")
            logger.info("return home prepared at the home agent", metadata: ["vm": "\(vm)"])
        case .revoked(let vm, let trigger):
            revocations.increment()
            logger.info("VM revoked by its home agent", metadata: ["vm": "\(vm)", "trigger": "\(trigger)"])
        case .released(let vm):
            logger.info("VM released", metadata: ["vm": "\(vm)"])
        case .preparing(let vm, let homeAgent):
            logger.info("preparing for an incoming VM", metadata: ["vm": "\(vm)", "home_agent": "\(homeAgent)"])
        case .prepared(let vm):
            preparations.increment("prepared")
            logger.info("VM prepared: served here before it arrives", metadata: [
                "vm": "\(vm.vm)", "address": "\(vm.address)/\(vm.prefixLength)", "gateway": "\(vm.gateway)"])
        case .preparationEnded(let vm, let outcome):
            preparations.increment(outcome)
            logger.info("preparation ended", metadata: ["vm": "\(vm)", "outcome": "\(outcome)"])
        case .homeAgentRestarted(let name, let counter):
            restarts.increment()
            logger.warning("home agent restarted; re-registering its VMs", metadata: ["home_agent": "\(name)", "restart_counter": "\(counter)"])
        case .homeAgentUnreachable(let name):
            unreachable.increment()
            logger.warning("home agent unreachable: heartbeats unanswered", metadata: ["home_agent": "\(name)"])
        case .homeAgentReachable(let name):
            logger.info("home agent reachable again", metadata: ["home_agent": "\(name)"])
        case .malformed(let from, let reason):
            malformed.increment()
            logger.notice("malformed signaling dropped", metadata: ["from": "\(from)", "reason": "\(reason)"])
        case .unauthenticated(let from, let verdict):
            unauthenticated.increment()
            logger.notice("unauthenticated signaling dropped", metadata: ["from": "\(from)", "verdict": "\(verdict.name)"])
        case .ignored(let from, let reason):
            logger.debug("signaling ignored", metadata: ["from": "\(from)", "reason": "\(reason)"])
        }
    }
}
