/// Reading and changing keys: ranges, puts, deletes and transactions.
extension EtcdClient {
    /// Every key that begins with `prefix`, in key order, with the revision read at.
    /// Linearizable: the answer reflects every change committed before the call.
    ///
    /// Read in pages of at most `pageSize` keys, every page at the first page's revision,
    /// so that a million keys neither make one huge answer nor mix two revisions. `page`
    /// hears of each page as it arrives (a caller can decode one while the next is read);
    /// `timeout` bounds each page's call.
    public func range(prefix: String, pageSize: Int = 10_000, timeout: Duration? = nil,
                      page: (@Sendable ([KeyValue]) -> Void)? = nil) async throws(EtcdError) -> (kvs: [KeyValue], revision: Int64) {
        var kvs: [KeyValue] = []
        var start = WireBytes(prefix)
        var revision: Int64 = 0
        while true {
            let answer: RangeAnswer = try await call(
                "/v3/kv/range",
                RangeRequest(key: start, rangeEnd: WireBytes(prefixEnd(prefix)), limit: Int64(pageSize), revision: revision),
                timeout: timeout)
            if revision == 0 { revision = answer.header.revision }
            page?(answer.kvs)
            kvs += answer.kvs
            guard answer.more, let last = answer.kvs.last else { break }
            // The next page starts just after the last key read.
            start = WireBytes(Array(last.key.utf8) + [0])
        }
        return (kvs, revision)
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
    /// At most this many keys; 0 for no limit.
    var limit: Int64 = 0
    /// Read at this revision; 0 for the latest.
    var revision: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case key, limit, revision
        case rangeEnd = "range_end"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encodeIfPresent(rangeEnd, forKey: .rangeEnd)
        // 64-bit integers are strings in protobuf's JSON.
        if limit != 0 { try container.encode(String(limit), forKey: .limit) }
        if revision != 0 { try container.encode(String(revision), forKey: .revision) }
    }
}

struct DeleteRequest: Encodable {
    var key: WireBytes
}

struct RangeAnswer: Decodable {
    var header: ResponseHeader
    var kvs: [KeyValue]
    /// Whether keys beyond the limit remain in the range.
    var more: Bool

    enum CodingKeys: String, CodingKey { case header, kvs, more }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        header = try container.decodeIfPresent(ResponseHeader.self, forKey: .header) ?? ResponseHeader()
        kvs = try container.decodeIfPresent([KeyValue].self, forKey: .kvs) ?? []
        more = try container.decodeIfPresent(Bool.self, forKey: .more) ?? false
    }
}

struct HeaderAnswer: Decodable {
    var header: ResponseHeader
}
