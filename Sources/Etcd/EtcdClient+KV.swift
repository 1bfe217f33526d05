/// Reading and changing keys: ranges, puts, deletes and transactions.
extension EtcdClient {
    /// Every key that begins with `prefix`, in key order, with the revision read at.
    /// Linearizable: the answer reflects every change committed before the call.
    public func range(prefix: String, timeout: Duration? = nil) async throws(EtcdError) -> (kvs: [KeyValue], revision: Int64) {
        let answer: RangeAnswer = try await call("/v3/kv/range",
                                                 RangeRequest(key: WireBytes(prefix), rangeEnd: WireBytes(prefixEnd(prefix))),
                                                 timeout: timeout)
        return (answer.kvs, answer.header.revision)
    }

    /// The key `key`, or nil if it does not exist.
    public func get(_ key: String, timeout: Duration? = nil) async throws(EtcdError) -> KeyValue? {
        let answer: RangeAnswer = try await call("/v3/kv/range", RangeRequest(key: WireBytes(key), rangeEnd: nil), timeout: timeout)
        return answer.kvs.first
    }

    /// Sets `key` to `value`, attached to `lease` when given. Returns the new revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0, timeout: Duration? = nil) async throws(EtcdError) -> Int64 {
        let answer: HeaderAnswer = try await call("/v3/kv/put", Operation.put(key, value, lease: lease).put, timeout: timeout)
        return answer.header.revision
    }

    /// Removes `key`. Returns the new revision.
    @discardableResult
    public func delete(_ key: String, timeout: Duration? = nil) async throws(EtcdError) -> Int64 {
        let answer: HeaderAnswer = try await call("/v3/kv/deleterange", DeleteRequest(key: WireBytes(key)), timeout: timeout)
        return answer.header.revision
    }

    /// Runs a transaction: if every comparison holds, the `success` operations, else the
    /// `failure` ones, atomically at one revision.
    public func transaction(_ transaction: Transaction, timeout: Duration? = nil) async throws(EtcdError) -> TransactionResult {
        try await call("/v3/kv/txn", transaction, timeout: timeout)
    }
}

struct RangeRequest: Encodable {
    var key: WireBytes
    var rangeEnd: WireBytes?

    enum CodingKeys: String, CodingKey {
        case key
        case rangeEnd = "range_end"
    }
}

struct DeleteRequest: Encodable {
    var key: WireBytes
}

struct RangeAnswer: Decodable {
    var header: ResponseHeader
    var kvs: [KeyValue]

    enum CodingKeys: String, CodingKey { case header, kvs }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(ResponseHeader.self, forKey: .header) ?? ResponseHeader()
        kvs = try container.decodeIfPresent([KeyValue].self, forKey: .kvs) ?? []
    }
}

struct HeaderAnswer: Decodable {
    var header: ResponseHeader
}
