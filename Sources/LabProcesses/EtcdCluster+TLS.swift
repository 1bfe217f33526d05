import Foundation

extension EtcdCluster {
    /// The files of an etcd cluster served over TLS: a CA, the members' certificate (for
    /// 127.0.0.1 and `localhost`) and a client certificate, all signed by that CA.
    public struct TLSFiles: Sendable {
        public let caFile: String
        public let serverCertificateFile: String
        public let serverKeyFile: String
        public let clientCertificateFile: String
        public let clientKeyFile: String

        /// Makes a fresh CA named `name` and the two certificates under `folder` with
        /// `openssl` (EC P-256 keys, a day's validity).
        public static func generate(in folder: String, name: String = "glm-test-ca",
                                    addresses: [String] = ["127.0.0.1"]) async throws -> TLSFiles {
            guard let openssl = locate("openssl") else {
                throw StartFailure(description: "openssl is not installed (scripts/install-deps.sh installs it)")
            }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            func path(_ file: String) -> String { "\(folder)/\(file)" }
            func run(_ arguments: [String]) async throws {
                let run = try await ProgramRun.run(openssl, arguments, timeout: .seconds(20))
                guard run.succeeded else {
                    throw StartFailure(description: "openssl \(arguments.prefix(2).joined(separator: " ")): \(run.standardError)")
                }
            }
            let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            try await run(["req", "-x509"] + key + ["-keyout", path("ca.key"), "-out", path("ca.pem"),
                                                   "-days", "1", "-subj", "/CN=\(name)"])
            let alternativeNames = (["DNS:localhost"] + addresses.map { "IP:\($0)" }).joined(separator: ",")
            for (role, extensions) in [("server", "subjectAltName=\(alternativeNames)\nextendedKeyUsage=serverAuth,clientAuth"),
                                       ("client", "extendedKeyUsage=clientAuth")] {
                try await run(["req", "-new"] + key + ["-keyout", path("\(role).key"), "-out", path("\(role).csr"),
                                                      "-subj", "/CN=glm-\(role)"])
                try extensions.write(toFile: path("\(role).ext"), atomically: true, encoding: .utf8)
                try await run(["x509", "-req", "-in", path("\(role).csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                               "-CAcreateserial", "-days", "1", "-extfile", path("\(role).ext"), "-out", path("\(role).pem")])
            }
            return TLSFiles(caFile: path("ca.pem"), serverCertificateFile: path("server.pem"), serverKeyFile: path("server.key"),
                            clientCertificateFile: path("client.pem"), clientKeyFile: path("client.key"))
        }
    }
}
