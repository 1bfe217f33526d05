extension Duration {
    /// The duration in milliseconds, as the report and the lab's programs state times.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
