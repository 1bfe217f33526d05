import MallocInterposerSwift

/// Time per call of one operation.
struct Measurement {
    var name: String
    /// Nanoseconds per call in each round, sorted.
    var roundNanoseconds: [Double]

    var median: Double { roundNanoseconds[roundNanoseconds.count / 2] }
    var fastest: Double { roundNanoseconds.first! }
    var slowest: Double { roundNanoseconds.last! }
    var perSecond: Double { 1e9 / median }
}

/// Runs an operation in batches long enough for the clock not to matter: a warm-up that
/// also sizes the batch, then `rounds` timed batches; the median round is the figure.
struct Harness {
    var rounds = 21
    var roundDuration = Duration.milliseconds(25)
    var warmUp = Duration.milliseconds(250)

    func measure(_ name: String, _ body: () throws -> Void) throws -> Measurement {
        let clock = ContinuousClock()
        func time(_ count: Int) throws -> Duration {
            let start = clock.now
            for _ in 0..<count { try body() }
            return start.duration(to: clock.now)
        }

        var batch = 1
        var spent = Duration.zero
        while spent < warmUp {
            let elapsed = try time(batch)
            spent += elapsed
            if elapsed < roundDuration { batch *= 2 }
        }
        let perCall = nanoseconds(try time(batch)) / Double(batch)
        batch = max(1, Int(nanoseconds(roundDuration) / perCall))

        var samples: [Double] = []
        for _ in 0..<rounds {
            samples.append(nanoseconds(try time(batch)) / Double(batch))
        }
        return Measurement(name: name, roundNanoseconds: samples.sorted())
    }

    /// malloc calls per call of `body`, counted by the malloc interposer over `count`
    /// calls after as many unmeasured ones.
    func allocations(count: Int = 1000, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<count { try body() }
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        defer { MallocInterposerSwift.unhook() }
        for _ in 0..<count { try body() }
        return Double(MallocInterposerSwift.getStatistics().mallocCount) / Double(count)
    }
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

/// Keeps a result alive so that the optimiser cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
