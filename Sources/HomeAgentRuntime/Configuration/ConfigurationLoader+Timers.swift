import AgentConfiguration
import HomeAgentCore
import Yams

/// The `timers` section: each key carries its unit in its name, and each value is
/// checked against a range that keeps the protocol working.
extension ConfigurationLoader {
    /// Every timer key, in the order the documentation lists them.
    static let timerSettings: [TimerSetting<HomeAgentTimers>] = [
        // RFC 5213 §9.1: TimestampValidityWindow, 300 ms by default.
        TimerSetting(key: "timestamp-window-ms", unit: .milliseconds, range: 10...60_000) {
            $0.timestampValidityWindow = Double($1) / 1000
        },
        // RFC 5213 §9.1: MinDelayBeforeBCEDelete, 10 s by default.
        TimerSetting(key: "min-delay-before-delete-s", unit: .seconds, range: 0...600) {
            $0.minDelayBeforeDelete = Double($1)
        },
        // The PBU's Lifetime is 16 bits in units of 4 s (RFC 6275 §6.1.7): 262140 s at most.
        TimerSetting(key: "maximum-lifetime-s", unit: .seconds, range: 4...262_140) {
            $0.maximumLifetime = Double($1)
        },
        // The longest a preparation (make-before-break) is kept without the VM arriving.
        TimerSetting(key: "maximum-preparation-lifetime-s", unit: .seconds, range: 4...3600) {
            $0.maximumPreparationLifetime = Double($1)
        },
        // RFC 5846 §6.3: the first BRI retransmission timeout; it doubles each time.
        TimerSetting(key: "revocation-initial-timeout-ms", unit: .milliseconds, range: 10...60_000) {
            $0.revocationInitialTimeout = Double($1) / 1000
        },
        TimerSetting(key: "revocation-maximum-transmissions", unit: .count, range: 1...20) {
            $0.revocationMaximumTransmissions = $1
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

    func timers(_ node: Node) throws(ConfigurationError) -> HomeAgentTimers {
        try source.timers(node, settings: Self.timerSettings, defaults: HomeAgentTimers()).0
    }
}
