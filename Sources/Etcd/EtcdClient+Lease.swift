/// Leases: keys attached to one vanish when it expires or is revoked.
extension EtcdClient {
    /// A lease granted by etcd: its ID and the time to live etcd chose (at least the
    /// cluster's minimum, which etcd derives from its election timeout).
    public struct Lease: Sendable, Equatable {
        public var id: Int64
        public var ttl: Int64
    }

    /// Grants a lease of `ttl` seconds.
    public func grantLease(ttl: Int64, timeout: Duration? = nil) async throws(EtcdError) -> Lease {
        let answer: GrantAnswer = try await call("/v3/lease/grant", LeaseRequest(ttl: WireInt64(ttl), id: nil), timeout: timeout)
        if let error = answer.error, !error.isEmpty { throw .refused(code: -1, message: error) }
        return Lease(id: answer.id, ttl: answer.ttl)
    }

    /// Renews `lease` once. Returns its time to live from now, in seconds; 0 when the
    /// lease no longer exists (expired or revoked): whatever it held is gone.
    public func keepAlive(_ lease: Int64, timeout: Duration? = nil) async throws(EtcdError) -> Int64 {
        let answer: KeepAliveAnswer = try await call("/v3/lease/keepalive", LeaseRequest(ttl: nil, id: WireInt64(lease)), timeout: timeout)
        return answer.result?.ttl ?? 0
    }

    /// Ends `lease` now: its keys are deleted at once. A lease already gone is not an error.
    public func revoke(_ lease: Int64, timeout: Duration? = nil) async throws(EtcdError) {
        do {
            let _: HeaderAnswer = try await call("/v3/lease/revoke", LeaseRequest(ttl: nil, id: WireInt64(lease)), timeout: timeout)
        } catch where error.isLeaseNotFound {
            return
        }
    }
}

struct LeaseRequest: Encodable {
    var ttl: WireInt64?
    var id: WireInt64?

    enum CodingKeys: String, CodingKey {
        case ttl = "TTL"
        case id = "ID"
    }
}

struct GrantAnswer: Decodable {
    var id: Int64
    var ttl: Int64
    var error: String?

    enum CodingKeys: String, CodingKey {
        case id = "ID"
        case ttl = "TTL"
        case error
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.int64(.id)
        ttl = try container.int64(.ttl)
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }
}

/// The keep-alive call is a stream in gRPC; the gateway answers one request with one
/// `{"result": …}` line.
struct KeepAliveAnswer: Decodable {
    struct Result: Decodable {
        var ttl: Int64

        enum CodingKeys: String, CodingKey { case ttl = "TTL" }

        init(from decoder: any Decoder) throws {
            ttl = try decoder.container(keyedBy: CodingKeys.self).int64(.ttl)
        }
    }

    var result: Result?
}
