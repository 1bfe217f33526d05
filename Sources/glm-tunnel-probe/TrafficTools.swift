import Foundation
import GLMWire

/// Small traffic tools run inside the test namespaces: a hand-made tunnel datagram
/// (to check what the tunnel refuses), a UDP sink, and a TCP transfer with a checksum.
enum TrafficTools {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ what: String, _ code: Int32 = errno) {
            description = "\(what): \(String(cString: strerror(code)))"
        }
    }

    /// `send`: one datagram to the tunnel port, carrying an inner IPv4/UDP packet in
    /// bare, TLV or TLV+GRE framing, or (with `--garbage`) something that is no frame.
    static func sendFrame(_ options: ProbeOptions) throws {
        let from = options.address("--from")
        let to = options.address("--to")
        let port = UInt16(options.int("--port", default: Int(TunnelFrame.port)))
        var payload: [UInt8]
        if options.has("--garbage") {
            payload = [0x60, 0x00, 0x00, 0x00] + [UInt8](repeating: 0xee, count: 36)
        } else {
            let inner = try FrameBuilder.ipv4UDP(
                source: options.address("--inner-source"), destination: options.address("--inner-destination"),
                sourcePort: 40_000, destinationPort: UInt16(options.int("--inner-port", default: 7777)),
                payload: Array((options.string("--payload") ?? "probe").utf8))
            if let keyText = options.string("--key"), let key = UInt32(keyText) {
                let length = UInt16(inner.count + 8)
                payload = [0x00, 47, UInt8(length >> 8), UInt8(length & 0xff), 0x20, 0x00, 0x08, 0x00]
                    + withUnsafeBytes(of: key.bigEndian, Array.init) + inner
            } else if options.has("--tlv") {
                let length = UInt16(inner.count)
                payload = [0x00, 4, UInt8(length >> 8), UInt8(length & 0xff)] + inner
            } else {
                payload = inner
            }
        }
        let descriptor = try udpSocket(bound: from, port: 0)
        defer { close(descriptor) }
        var destination = socketAddress(to, port)
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == payload.count else { throw Failure("sendto \(to):\(port)") }
    }

    /// `udp-sink`: prints every datagram's payload, one line each, for `--seconds` or
    /// until a payload equals `--until`.
    static func udpSink(_ options: ProbeOptions) throws {
        let (address, port) = options.endpoint("--bind")
        let descriptor = try udpSocket(bound: address, port: port)
        defer { close(descriptor) }
        ready(options)
        let deadline = Date().addingTimeInterval(Double(options.int("--seconds", default: 3)))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let wait = max(1, Int32(deadline.timeIntervalSinceNow * 1000))
            guard poll(&entry, 1, wait) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 {
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                print("datagram: \(text)")
                fflush(nil)
                if text == options.string("--until") { return }
            }
        }
    }

    /// `tcp-sink`: accepts one connection, reads it to the end, prints `received N HASH`.
    static func tcpSink(_ options: ProbeOptions) throws {
        let (address, port) = options.endpoint("--bind")
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Failure("socket") }
        defer { close(listener) }
        var on: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var local = socketAddress(address, port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 1) == 0 else { throw Failure("bind/listen \(address):\(port)") }
        ready(options)
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 20_000) > 0 else { throw Failure("no connection within 20 s", ETIMEDOUT) }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw Failure("accept") }
        defer { close(connection) }
        var hash = Checksum()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = read(connection, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { hash.add(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        print("received \(hash.count) \(hash.value)")
    }

    /// `tcp-source`: sends `--bytes` octets of a fixed pattern, prints `sent N HASH`.
    static func tcpSource(_ options: ProbeOptions) throws {
        let (address, port) = options.endpoint("--to")
        let total = options.int("--bytes", default: 4 << 20)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket") }
        defer { close(descriptor) }
        var remote = socketAddress(address, port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure("connect \(address):\(port)") }
        // 251 × 256 octets: the pattern (i mod 251) continues seamlessly across chunks.
        let chunk = (0..<(251 * 256)).map { UInt8($0 % 251) }
        var hash = Checksum()
        var remaining = total
        while remaining > 0 {
            let size = min(remaining, chunk.count)
            var offset = 0
            while offset < size {
                let sent = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, size - offset) }
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { throw Failure("write") }
                offset += sent
            }
            chunk.withUnsafeBytes { hash.add(UnsafeRawBufferPointer(rebasing: $0[0..<size])) }
            remaining -= size
        }
        shutdown(descriptor, Int32(SHUT_WR))
        var byte: UInt8 = 0
        _ = read(descriptor, &byte, 1)  // wait for the sink to close: everything arrived
        print("sent \(hash.count) \(hash.value)")
    }

    /// FNV-1a over everything added, and the octet count.
    struct Checksum {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        var count = 0

        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            for byte in bytes {
                value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            count += bytes.count
        }
    }

    static func udpSocket(bound address: IPv4Address, port: UInt16) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket") }
        var local = socketAddress(address, port)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw Failure("bind \(address):\(port)")
        }
        return descriptor
    }

    static func socketAddress(_ address: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr.s_addr = address.rawValue.bigEndian
        return socketAddress
    }

    private static func ready(_ options: ProbeOptions) {
        if let path = options.string("--ready") {
            _ = FileManager.default.createFile(atPath: path, contents: Data("ready\n".utf8))
        }
    }
}
