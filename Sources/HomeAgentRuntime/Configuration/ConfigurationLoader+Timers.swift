import HomeAgentCore
import Yams

/// The `timers` section: each key carries its unit in its name, and each value is
/// checked against a range that keeps the protocol working.
extension ConfigurationLoader {
    /// One timer key: its name, unit, allowed range, and where it goes.
    struct TimerSetting: Sendable {
        enum Unit: String, Sendable {
            case milliseconds, seconds, count
        }

        let key: String
        let unit: Unit
        let range: ClosedRange<Int>
        let apply: @Sendable (inout HomeAgentTimers, Int) -> Void
    }

    /// Every timer key, in the order the documentation lists them.
    static let timerSettings: [TimerSetting] = [
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
        let section = try ConfigurationSection(node, name: "'timers'", allowed: Self.timerSettings.map(\.key),
                                               source: source)
        var timers = HomeAgentTimers()
        for setting in Self.timerSettings {
            guard let value = section.optional(setting.key) else { continue }
            let unit = setting.unit == .count ? nil : setting.unit.rawValue
            setting.apply(&timers, try source.integer(value, key: setting.key, in: setting.range, unit: unit))
        }
        return timers
    }
}
