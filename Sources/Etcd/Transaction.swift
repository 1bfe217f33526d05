/// An etcd transaction: comparisons on keys, and the operations to run if they all
/// hold (`success`) or if any does not (`failure`).
public struct Transaction: Encodable, Sendable {
    public var compare: [Comparison]
    public var success: [Operation]
    public var failure: [Operation]

    public init(compare: [Comparison], success: [Operation], failure: [Operation] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// One condition of a transaction on a key's revisions, version, value or lease.
public struct Comparison: Encodable, Sendable {
    public enum Relation: String, Sendable {
        case equal = "EQUAL", greater = "GREATER", less = "LESS", notEqual = "NOT_EQUAL"
    }

    var key: WireBytes
    var target: String
    var result: String
    var createRevision: WireInt64?
    var modRevision: WireInt64?
    var version: WireInt64?
    var value: WireBytes?
    var lease: WireInt64?

    enum CodingKeys: String, CodingKey {
        case key, target, result, version, value, lease
        case createRevision = "create_revision"
        case modRevision = "mod_revision"
    }

    /// The key's creation revision compared with `revision`; `== 0` means "absent".
    public static func createRevision(_ key: String, _ relation: Relation = .equal, _ revision: Int64) -> Comparison {
        Comparison(key: WireBytes(key), target: "CREATE", result: relation.rawValue, createRevision: WireInt64(revision))
    }

    /// The key's last change's revision compared with `revision`.
    public static func modRevision(_ key: String, _ relation: Relation = .equal, _ revision: Int64) -> Comparison {
        Comparison(key: WireBytes(key), target: "MOD", result: relation.rawValue, modRevision: WireInt64(revision))
    }

    /// The key's value compared with `value`.
    public static func value(_ key: String, _ relation: Relation = .equal, _ value: [UInt8]) -> Comparison {
        Comparison(key: WireBytes(key), target: "VALUE", result: relation.rawValue, value: WireBytes(value))
    }
}

/// One operation inside a transaction.
public struct Operation: Encodable, Sendable {
    var put: PutRequest?
    var deleteRange: DeleteRequest?
    var range: RangeRequest?

    enum CodingKeys: String, CodingKey {
        case put = "request_put"
        case deleteRange = "request_delete_range"
        case range = "request_range"
    }

    public static func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) -> Operation {
        Operation(put: PutRequest(key: WireBytes(key), value: WireBytes(value), lease: lease == 0 ? nil : WireInt64(lease)))
    }

    public static func delete(_ key: String) -> Operation {
        Operation(deleteRange: DeleteRequest(key: WireBytes(key)))
    }

    /// Reads `key` (in the `failure` branch: what the comparison found instead).
    public static func get(_ key: String) -> Operation {
        Operation(range: RangeRequest(key: WireBytes(key), rangeEnd: nil))
    }
}

struct PutRequest: Encodable {
    var key: WireBytes
    var value: WireBytes
    var lease: WireInt64?
}

/// What a transaction did: which branch ran, at which revision, and what its reads found.
public struct TransactionResult: Decodable, Sendable {
    /// Whether every comparison held (the `success` branch ran).
    public var succeeded: Bool
    /// The store's revision after the transaction.
    public var revision: Int64
    /// The keys read by the branch's `get` operations, in order.
    public var reads: [[KeyValue]]

    enum CodingKeys: String, CodingKey { case header, succeeded, responses }
    struct Response: Decodable {
        var responseRange: RangeAnswer?
        enum CodingKeys: String, CodingKey { case responseRange = "response_range" }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        succeeded = try container.decodeIfPresent(Bool.self, forKey: .succeeded) ?? false
        revision = try container.decode(ResponseHeader.self, forKey: .header).revision
        reads = try (container.decodeIfPresent([Response].self, forKey: .responses) ?? []).compactMap { $0.responseRange?.kvs }
    }
}
