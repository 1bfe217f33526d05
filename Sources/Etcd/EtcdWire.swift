import Foundation

/// How the JSON gateway writes etcd's protobuf messages: 64-bit integers as decimal
/// strings, bytes as base64, fields left out when they hold their default value (zero,
/// false, empty). These wrappers read and write exactly that.
struct WireInt64: Codable, Sendable, Equatable {
    var value: Int64

    init(_ value: Int64) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 64-bit integer: \(text)")
            }
            self.value = value
        } else {
            value = try container.decode(Int64.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

/// Bytes as the gateway carries them: base64 text.
struct WireBytes: Codable, Sendable, Equatable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { bytes = Array(text.utf8) }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not base64: \(text)")
        }
        bytes = Array(data)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }
}

extension KeyedDecodingContainer {
    func int64(_ key: Key) throws -> Int64 {
        try decodeIfPresent(WireInt64.self, forKey: key)?.value ?? 0
    }

    func bytes(_ key: Key) throws -> [UInt8] {
        try decodeIfPresent(WireBytes.self, forKey: key)?.bytes ?? []
    }
}

/// The header every answer carries: the store's revision when it was made.
public struct ResponseHeader: Decodable, Sendable {
    /// The key-value store's revision the answer reflects.
    public var revision: Int64
    /// The Raft term of the member that answered.
    public var raftTerm: Int64

    enum CodingKeys: String, CodingKey {
        case revision
        case raftTerm = "raft_term"
    }

    init() {
        revision = 0
        raftTerm = 0
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        revision = try container.int64(.revision)
        raftTerm = try container.int64(.raftTerm)
    }
}
