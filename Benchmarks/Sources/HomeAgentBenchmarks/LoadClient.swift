import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A UDP request/response load generator: keeps `window` requests in flight from one
/// socket and counts answers per second. Requests come from a prepared list, in turn.
struct LoadClient {
    let fd: Int32

    init(bindTo address: String) {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var local = Self.address(address, 0)
        _ = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    static func address(_ text: String, _ port: UInt16) -> sockaddr_in {
        var value = sockaddr_in()
        value.sin_family = sa_family_t(AF_INET)
        value.sin_port = port.bigEndian
        inet_pton(AF_INET, text, &value.sin_addr)
        return value
    }

    /// Runs for `duration` seconds and returns answers per second. `request(i)` gives the
    /// i-th request's bytes.
    func run(to host: String, port: UInt16, window: Int, duration: Double, request: (Int) -> [UInt8]) -> Double {
        var remote = Self.address(host, port)
        var sent = 0
        var answered = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        func send() {
            let bytes = request(sent)
            sent += 1
            _ = bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &remote) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
        }
        for _ in 0..<window { send() }
        let start = Date()
        var deadline = start.addingTimeInterval(duration)
        var warm = false
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 {
                // A loss: put another request in flight so the window stays full.
                send()
                continue
            }
            if !warm, Date().timeIntervalSince(start) > 0.5 {
                warm = true
                answered = 0
                deadline = Date().addingTimeInterval(duration)
            }
            answered += 1
            send()
        }
        return Double(answered) / duration
    }
}
