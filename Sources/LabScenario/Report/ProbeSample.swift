/// One probe as the chart draws it: when it was sent, and its round trip if answered.
public struct ProbeSample: Hashable, Sendable {
    /// Wall-clock seconds since 1970.
    public var sent: Double
    public var roundTripMilliseconds: Double?

    public init(sent: Double, roundTripMilliseconds: Double?) {
        self.sent = sent
        self.roundTripMilliseconds = roundTripMilliseconds
    }
}
