/// One key as etcd stores it, with the revisions that order its changes.
public struct KeyValue: Decodable, Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// The revision of the key's creation; 0 for a key that does not exist.
    public var createRevision: Int64
    /// The revision of the key's last change.
    public var modRevision: Int64
    /// How many times the key changed since its creation.
    public var version: Int64
    /// The lease the key is attached to; 0 for none.
    public var lease: Int64

    public init(key: String, value: [UInt8], createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    enum CodingKeys: String, CodingKey {
        case key, value, version, lease
        case createRevision = "create_revision"
        case modRevision = "mod_revision"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = String(decoding: try container.bytes(.key), as: UTF8.self)
        value = try container.bytes(.value)
        createRevision = try container.int64(.createRevision)
        modRevision = try container.int64(.modRevision)
        version = try container.int64(.version)
        lease = try container.int64(.lease)
    }
}

/// The end of the key range that holds every key beginning with `prefix`: the prefix
/// with its last byte incremented (etcd's own convention for prefix queries).
func prefixEnd(_ prefix: String) -> [UInt8] {
    var bytes = Array(prefix.utf8)
    while let last = bytes.last {
        if last < 0xff {
            bytes[bytes.count - 1] = last + 1
            return bytes
        }
        bytes.removeLast()
    }
    return [0]
}
