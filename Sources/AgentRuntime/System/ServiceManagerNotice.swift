import Foundation

/// Tells systemd how a `Type=notify` service is doing (sd_notify(3)): a datagram of
/// `KEY=value` lines to the socket `NOTIFY_SOCKET` names, a path or, with a leading `@`,
/// an abstract name. Without `NOTIFY_SOCKET` (not started by systemd, or not
/// `Type=notify`) nothing is sent.
public enum ServiceManagerNotice {
    /// The agent serves: its sockets are bound and its state restored.
    public static func ready(status: String) {
        send("READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())")
    }

    /// What `systemctl status` shows the agent doing, without a change of state.
    public static func status(_ text: String) {
        send("STATUS=\(text)")
    }

    /// The agent is stopping.
    public static func stopping() {
        send("STOPPING=1")
    }

    /// Sends `state`; returns whether a datagram left (false without `NOTIFY_SOCKET`).
    @discardableResult
    public static func send(_ state: String, socket name: String? = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"]) -> Bool {
        guard let name, !name.isEmpty else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(name.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        return sent == bytes.count
    }
}
