import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// A client of etcd's v3 API through the JSON gateway every etcd member serves on its
/// client URLs (`POST /v3/kv/range`, `/v3/kv/txn`, `/v3/lease/grant`, `/v3/watch`, …).
///
/// Several endpoints (the members of one etcd cluster) are tried in turn: a call goes
/// to the member that answered last, and moves to the next when that one cannot be
/// reached, times out, or says it has no leader. Every call has a deadline.
public final class EtcdClient: Sendable {
    public struct Configuration: Sendable {
        /// The members' client URLs, such as `https://10.0.0.11:2379`.
        public var endpoints: [String]
        /// TLS for `https` endpoints: the cluster's CA, and a client certificate when
        /// etcd asks for one. Nil for plain `http`.
        public var tls: TLSConfiguration?
        /// How long a call may take on one endpoint before the next is tried.
        public var requestTimeout: Duration
        /// How long connecting to one endpoint may take.
        public var connectTimeout: Duration

        public init(endpoints: [String], tls: TLSConfiguration? = nil,
                    requestTimeout: Duration = .seconds(2), connectTimeout: Duration = .milliseconds(500)) {
            self.endpoints = endpoints
            self.tls = tls
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
        }
    }

    public let configuration: Configuration
    let http: HTTPClient
    private let preferred = Mutex(0)

    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup) {
        precondition(!configuration.endpoints.isEmpty, "an etcd client needs at least one endpoint")
        self.configuration = configuration
        var settings = HTTPClient.Configuration(
            tlsConfiguration: configuration.tls,
            timeout: .init(connect: Self.timeAmount(configuration.connectTimeout)))
        // A member that stops answering must not hold a pooled connection for long.
        settings.connectionPool = .init(idleTimeout: .seconds(30))
        http = HTTPClient(eventLoopGroup: eventLoopGroup, configuration: settings)
    }

    /// Closes the connections. Calls made afterwards fail.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// The endpoint calls go to first now.
    public var currentEndpoint: String {
        configuration.endpoints[preferred.withLock { $0 } % configuration.endpoints.count]
    }

    /// Makes the next endpoint the first one tried.
    func moveToNextEndpoint() {
        preferred.withLock { $0 = ($0 + 1) % configuration.endpoints.count }
    }

    /// Sends one request to `path` (such as `/v3/kv/range`) and decodes its answer,
    /// trying each endpoint once, starting with the one that answered last.
    func call<Request: Encodable, Answer: Decodable>(_ path: String, _ request: Request,
                                                     timeout: Duration? = nil) async throws(EtcdError) -> Answer {
        let body: ByteBuffer
        do {
            body = ByteBuffer(bytes: try JSONEncoder().encode(request))
        } catch {
            throw .malformed("cannot encode the request to \(path): \(error)")
        }
        let endpoints = configuration.endpoints
        let first = preferred.withLock { $0 }
        var failures: [String] = []
        for attempt in 0..<endpoints.count {
            let index = (first + attempt) % endpoints.count
            do {
                var request = HTTPClientRequest(url: endpoints[index] + path)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(body)
                let response = try await http.execute(request, timeout: Self.timeAmount(timeout ?? configuration.requestTimeout))
                let bytes = try await response.body.collect(upTo: 64 << 20)
                if response.status == .ok {
                    if attempt > 0 { preferred.withLock { $0 = index } }
                    do {
                        return try JSONDecoder().decode(Answer.self, from: Data(bytes.readableBytesView))
                    } catch {
                        throw EtcdError.malformed("\(path): \(error)")
                    }
                }
                let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: Data(bytes.readableBytesView))
                let code = answer?.code ?? -1
                let message = answer?.message ?? answer?.error ?? "HTTP \(response.status.code)"
                // No leader, no quorum or a timeout inside etcd: another member may do better.
                if code == 14 || code == 4 || response.status.code == 503 {
                    failures.append("\(endpoints[index]): \(message)")
                    continue
                }
                throw EtcdError.refused(code: code, message: message)
            } catch let error as EtcdError {
                throw error
            } catch {
                failures.append("\(endpoints[index]): \(error)")
            }
        }
        preferred.withLock { $0 = (first + 1) % endpoints.count }
        throw .unreachable(endpoints: endpoints, reason: failures.joined(separator: "; "))
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension EtcdClient.Configuration {
    /// TLS for a cluster whose members present certificates signed by the CA in
    /// `caFile`; with `certificateFile` and `keyFile`, this client presents its own.
    public static func tls(caFile: String, certificateFile: String?, keyFile: String?) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caFile)
        if let certificateFile, let keyFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        return tls
    }
}
