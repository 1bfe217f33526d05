import Yams

/// One key of a `timers` section: its name (which carries its unit), the range that
/// keeps the protocol working, and where the value goes in the agent's timers.
package struct TimerSetting<Timers>: Sendable {
    package enum Unit: String, Sendable {
        case milliseconds, seconds, count
    }

    package let key: String
    package let unit: Unit
    package let range: ClosedRange<Int>
    package let apply: @Sendable (inout Timers, Int) -> Void

    package init(key: String, unit: Unit, range: ClosedRange<Int>, apply: @escaping @Sendable (inout Timers, Int) -> Void) {
        self.key = key
        self.unit = unit
        self.range = range
        self.apply = apply
    }
}

extension ConfigurationSource {
    /// The `timers` section read into `timers` (the defaults): every key optional, each
    /// value a whole number in its setting's range. `extraKeys` are allowed and left to
    /// the caller, who gets the section back.
    package func timers<Timers>(_ node: Node, settings: [TimerSetting<Timers>], defaults: Timers,
                                extraKeys: [String] = []) throws(ConfigurationError) -> (Timers, ConfigurationSection) {
        let section = try ConfigurationSection(node, name: "'timers'", allowed: settings.map(\.key) + extraKeys, source: self)
        var timers = defaults
        for setting in settings {
            guard let value = section.optional(setting.key) else { continue }
            let unit = setting.unit == .count ? nil : setting.unit.rawValue
            setting.apply(&timers, try integer(value, key: setting.key, in: setting.range, unit: unit))
        }
        return (timers, section)
    }
}
