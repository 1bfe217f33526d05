/// An agent's refusal of a request: `{"error":"…"}`, and for a site agent that drains,
/// `"draining":true` (a hook aborts the migration then).
public struct ControlFailure: Error, Codable, Hashable, Sendable, CustomStringConvertible {
    public var error: String
    public var draining: Bool?

    public init(_ error: String, draining: Bool? = nil) {
        self.error = error
        self.draining = draining
    }

    public var description: String { error }
}

/// A request done: `{"ok":true}`, with a state or a note where there is one to give.
public struct ControlAcknowledgement: Codable, Hashable, Sendable {
    public var ok: Bool
    /// The VM's state once a `notify` was answered (site agent: `served`, `prepared`, …).
    public var state: String?
    public var note: String?

    public init(state: String? = nil, note: String? = nil) {
        ok = true
        self.state = state
        self.note = note
    }
}
