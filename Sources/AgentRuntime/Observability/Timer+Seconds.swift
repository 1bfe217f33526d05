import Metrics

extension Timer {
    /// Records a duration given in seconds, as the protocol cores measure them.
    package func recordSeconds(_ seconds: Double) {
        recordNanoseconds(Int64(max(0, seconds) * 1_000_000_000))
    }
}
