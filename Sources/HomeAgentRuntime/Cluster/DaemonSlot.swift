import Synchronization

/// The daemon serving now, if any: in a cluster each term has its own, and the control
/// socket, the home LAN's watcher and SIGHUP reach whichever one runs.
public final class DaemonSlot: Sendable {
    private let current = Mutex<HomeAgentDaemon?>(nil)

    public init(_ daemon: HomeAgentDaemon? = nil) {
        current.withLock { $0 = daemon }
    }

    public var daemon: HomeAgentDaemon? {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    /// Hands `input` to the serving daemon; dropped when none serves.
    public func submit(_ input: HomeAgentDaemon.Input) {
        daemon?.submit(input)
    }
}
