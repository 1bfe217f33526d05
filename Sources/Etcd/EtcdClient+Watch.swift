import AsyncHTTPClient
import Foundation
import NIOCore

/// Watches: the changes under a prefix, in revision order, as they are committed.
extension EtcdClient {
    /// One change to a key.
    public struct Change: Sendable, Equatable {
        public enum Kind: Sendable { case put, delete }
        public var kind: Kind
        /// For a put, the key as written; for a delete, its key and the deletion's revision.
        public var kv: KeyValue
    }

    /// Why a watch ended.
    public enum WatchEnd: Error, CustomStringConvertible, Sendable {
        /// The revision asked for was compacted away: read the range again.
        case compacted(Int64)
        /// etcd ended the watch, or every endpoint was lost.
        case ended(String)

        public var description: String {
            switch self {
            case .compacted(let revision): "the watch's start was compacted (oldest revision \(revision))"
            case .ended(let reason): "the watch ended: \(reason)"
            }
        }
    }

    /// The changes under `prefix` from revision `start` on, batch by batch (all of one
    /// batch at one revision or consecutive ones), following the endpoints in turn when
    /// one is lost, without losing or repeating a change. The sequence ends with
    /// ``WatchEnd`` when etcd compacted `start` away or no endpoint can be reached.
    public func watch(prefix: String, from start: Int64) -> AsyncThrowingStream<[Change], any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var next = start
                var failures = 0
                while !Task.isCancelled {
                    do {
                        try await self.follow(prefix: prefix, from: next) { changes in
                            failures = 0
                            if let last = changes.last { next = last.kv.modRevision + 1 }
                            continuation.yield(changes)
                        }
                        failures += 1
                    } catch let end as WatchEnd {
                        continuation.finish(throwing: end)
                        return
                    } catch {
                        failures += 1
                    }
                    if failures > 3 * configuration.endpoints.count {
                        continuation.finish(throwing: WatchEnd.ended("no endpoint kept the watch"))
                        return
                    }
                    moveToNextEndpoint()
                    try? await Task.sleep(for: .milliseconds(100))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Follows one watch stream on the current endpoint until it breaks.
    private func follow(prefix: String, from start: Int64, _ deliver: ([Change]) -> Void) async throws {
        let create = WatchCreate(createRequest: .init(key: WireBytes(prefix), rangeEnd: WireBytes(prefixEnd(prefix)),
                                                      startRevision: WireInt64(start)))
        var request = HTTPClientRequest(url: currentEndpoint + "/v3/watch")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(create)))
        // The deadline covers the answer's head only, which comes with the `created`
        // message; the stream then lasts as long as the member serves it.
        let response = try await http.execute(request, timeout: Self.timeAmount(configuration.requestTimeout))
        guard response.status == .ok else { throw WatchEnd.ended("HTTP \(response.status.code)") }
        var pending: [UInt8] = []
        for try await chunk in response.body {
            pending += chunk.readableBytesView
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                guard !line.isEmpty else { continue }
                let message = try JSONDecoder().decode(WatchMessage.self, from: Data(line))
                if let error = message.error { throw WatchEnd.ended(error.message ?? error.error ?? "error") }
                guard let result = message.result else { continue }
                if result.compactRevision > 0 { throw WatchEnd.compacted(result.compactRevision) }
                if result.canceled { throw WatchEnd.ended(result.cancelReason ?? "canceled") }
                if !result.events.isEmpty { deliver(result.events.map(\.change)) }
            }
        }
    }
}

struct WatchCreate: Encodable {
    struct Request: Encodable {
        var key: WireBytes
        var rangeEnd: WireBytes
        var startRevision: WireInt64

        enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end"
            case startRevision = "start_revision"
        }
    }

    var createRequest: Request

    enum CodingKeys: String, CodingKey { case createRequest = "create_request" }
}

struct WatchMessage: Decodable {
    struct Result: Decodable {
        var canceled: Bool
        var cancelReason: String?
        var compactRevision: Int64
        var events: [Event]

        enum CodingKeys: String, CodingKey {
            case canceled, events
            case cancelReason = "cancel_reason"
            case compactRevision = "compact_revision"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            canceled = try container.decodeIfPresent(Bool.self, forKey: .canceled) ?? false
            cancelReason = try container.decodeIfPresent(String.self, forKey: .cancelReason)
            compactRevision = try container.int64(.compactRevision)
            events = try container.decodeIfPresent([Event].self, forKey: .events) ?? []
        }
    }

    struct Event: Decodable {
        var type: String?
        var kv: KeyValue

        var change: EtcdClient.Change { EtcdClient.Change(kind: type == "DELETE" ? .delete : .put, kv: kv) }
    }

    var result: Result?
    var error: ErrorAnswer?
}
