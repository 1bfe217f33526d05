/// Why a call to etcd failed.
public enum EtcdError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No endpoint answered: every one refused, timed out or broke the connection.
    case unreachable(endpoints: [String], reason: String)
    /// etcd answered with an error (gRPC code and message), such as a lease that does
    /// not exist (code 5) or a request too large.
    case refused(code: Int, message: String)
    /// The answer was not what the gateway sends.
    case malformed(String)

    public var description: String {
        switch self {
        case .unreachable(let endpoints, let reason):
            "etcd unreachable at \(endpoints.joined(separator: ", ")): \(reason)"
        case .refused(let code, let message):
            "etcd refused the request (code \(code)): \(message)"
        case .malformed(let reason):
            "etcd's answer was malformed: \(reason)"
        }
    }

    /// Whether etcd said that the lease named does not exist (expired or revoked).
    public var isLeaseNotFound: Bool {
        if case .refused(5, let message) = self { return message.contains("lease not found") }
        return false
    }
}

/// An error answer of the gateway: `{"error": ..., "code": ..., "message": ...}`.
struct ErrorAnswer: Decodable {
    var code: Int?
    var message: String?
    var error: String?
}
