extension DelayLine {
    /// What the delay line did with the packets it read.
    public struct Counters: Sendable, Hashable, CustomStringConvertible {
        /// Written back after their delay.
        public var forwarded: UInt64
        /// Dropped by a link's random loss.
        public var droppedByLoss: UInt64
        /// Dropped because the queue held ``DelayLine/capacity`` packets already.
        public var droppedOverflow: UInt64
        /// Refused by the TUN device when written back.
        public var failedWrites: UInt64

        public init(forwarded: UInt64 = 0, droppedByLoss: UInt64 = 0, droppedOverflow: UInt64 = 0, failedWrites: UInt64 = 0) {
            self.forwarded = forwarded
            self.droppedByLoss = droppedByLoss
            self.droppedOverflow = droppedOverflow
            self.failedWrites = failedWrites
        }

        public var description: String {
            "forwarded \(forwarded) dropped_loss \(droppedByLoss) dropped_overflow \(droppedOverflow) failed_writes \(failedWrites)"
        }

        /// Parses the line `glm-wan delay-line` prints as it exits:
        /// `delay line counters: forwarded N dropped_loss N dropped_overflow N failed_writes N`.
        public init?(line: String) {
            guard line.hasPrefix(Self.linePrefix) else { return nil }
            let words = line.dropFirst(Self.linePrefix.count).split(separator: " ")
            var values: [Substring: UInt64] = [:]
            for pair in stride(from: 0, to: words.count - 1, by: 2) {
                values[words[pair]] = UInt64(words[pair + 1])
            }
            guard let forwarded = values["forwarded"], let loss = values["dropped_loss"],
                  let overflow = values["dropped_overflow"], let failed = values["failed_writes"] else { return nil }
            self.init(forwarded: forwarded, droppedByLoss: loss, droppedOverflow: overflow, failedWrites: failed)
        }

        /// What starts the line.
        public static let linePrefix = "delay line counters: "

        /// The line `glm-wan delay-line` prints as it exits.
        public var line: String { Self.linePrefix + description }
    }
}
