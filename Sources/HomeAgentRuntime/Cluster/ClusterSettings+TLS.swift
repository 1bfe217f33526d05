import Etcd
import NIOSSL

extension ClusterSettings.Etcd {
    /// TLS for `https` endpoints, from the configured files; nil for `http`.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let caFile else { return nil }
        return try EtcdClient.Configuration.tls(caFile: caFile, certificateFile: certificateFile, keyFile: keyFile)
    }
}
