import AgentConfiguration
import SiteAgentCore
import Yams

/// The `timers` section: each key carries its unit in its name, and each value is
/// checked against a range that keeps the protocol working.
extension SiteConfigurationLoader {
    /// Every whole-number timer key, in the order the documentation lists them.
    static let timerSettings: [TimerSetting<SiteAgentTimers>] = [
        // The WAN round trip before one is measured; the first retransmission waits three.
        TimerSetting(key: "expected-rtt-ms", unit: .milliseconds, range: 1...10_000) {
            $0.expectedRoundTrip = Double($1) / 1000
        },
        TimerSetting(key: "minimum-retransmission-ms", unit: .milliseconds, range: 1...10_000) {
            $0.minimumRetransmission = Double($1) / 1000
        },
        // RFC 6275 §12 MAX_BINDACK_TIMEOUT, 32 s.
        TimerSetting(key: "maximum-retransmission-s", unit: .seconds, range: 1...3600) {
            $0.maximumRetransmission = Double($1)
        },
        // The PBU's Lifetime is 16 bits in units of 4 s (RFC 6275 §6.1.7): 262140 s at most.
        TimerSetting(key: "requested-lifetime-s", unit: .seconds, range: 4...262_140) {
            $0.requestedLifetime = Double($1)
        },
        // How long a preparation (make-before-break) waits for the VM after `incoming`.
        TimerSetting(key: "preparation-lifetime-s", unit: .seconds, range: 4...3600) {
            $0.preparationLifetime = Double($1)
        },
        // QEMU sends five announces over about 800 ms.
        TimerSetting(key: "announce-settling-ms", unit: .milliseconds, range: 0...60_000) {
            $0.announceSettling = Double($1) / 1000
        },
        TimerSetting(key: "refused-retry-s", unit: .seconds, range: 1...86_400) {
            $0.refusedRetry = Double($1)
        },
        // RFC 5847 §5: HEARTBEAT_INTERVAL, 60 s by default, 30-3600 s.
        TimerSetting(key: "heartbeat-interval-s", unit: .seconds, range: 30...3600) {
            $0.heartbeatInterval = Double($1)
        },
        // RFC 5847 §5: MISSING_HEARTBEATS_ALLOWED, 3 by default.
        TimerSetting(key: "missing-heartbeats-allowed", unit: .count, range: 1...20) {
            $0.missingHeartbeatsAllowed = $1
        },
    ]

    /// A refresh earlier than half the lifetime wastes signaling; later than 95 % risks expiry.
    static let refreshFractionRange = 0.5...0.95

    func timers(_ node: Node) throws(ConfigurationError) -> SiteAgentTimers {
        var (timers, section) = try source.timers(node, settings: Self.timerSettings, defaults: SiteAgentTimers(),
                                                  extraKeys: ["refresh-fraction"])
        if let fraction = section.optional("refresh-fraction") {
            timers.refreshFraction = try refreshFraction(fraction)
        }
        if timers.minimumRetransmission > timers.maximumRetransmission, let node = section.optional("minimum-retransmission-ms") {
            throw source.error("'minimum-retransmission-ms' is longer than 'maximum-retransmission-s'", at: node)
        }
        return timers
    }

    /// A decimal such as 0.8, in ``refreshFractionRange``.
    private func refreshFraction(_ node: Node) throws(ConfigurationError) -> Double {
        let text = try source.text(node, key: "refresh-fraction")
        let range = Self.refreshFractionRange
        let decimal = text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e } && text.utf8.filter { $0 == 0x2e }.count <= 1
        guard decimal, let value = Double(text), range.contains(value) else {
            throw source.error("'refresh-fraction' must be a decimal from \(range.lowerBound) to \(range.upperBound), not '\(text)'", at: node)
        }
        return value
    }
}
