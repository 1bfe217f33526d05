/// A live capture's counters since it was activated, as libpcap reports them.
///
/// On Linux `received` counts packets that passed the filter, whether or not they
/// were read yet, and `droppedByKernel` those lost for lack of buffer space.
public struct CaptureStatistics: Hashable, Sendable {
    /// Packets that passed the filter.
    public var received: UInt32
    /// Packets dropped because the capture buffer was full.
    public var droppedByKernel: UInt32
    /// Packets the interface or its driver dropped (not every platform counts these).
    public var droppedByInterface: UInt32

    public init(received: UInt32, droppedByKernel: UInt32, droppedByInterface: UInt32) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
    }
}
