/// How an agent writes its log lines (`log-format`): text for people (the default), or
/// one JSON object per line for a log shipper. Under systemd either carries each line's
/// journald priority.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}
