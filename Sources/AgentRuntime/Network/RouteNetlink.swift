import Foundation
import GLMWire

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's routing configuration over rtnetlink (`NETLINK_ROUTE`), for the changes
/// made while VMs come and go: routes, policy rules, neighbour proxies and addresses.
///
/// Each request is acknowledged (`NLM_F_ACK`) before the next is sent, so a change is in
/// the kernel when ``perform(_:undo:)`` returns, in tens of microseconds rather than the
/// milliseconds an `ip` process takes. Messages are built as `ip` builds them (protocol
/// `boot`, link scope for routes without a gateway), so `ip route`, `ip rule` and
/// `ip neigh` show the same entries either way. Not thread-safe: its owner serialises calls.
final class RouteNetlink {
    private var descriptor: Int32 = -1
    private var sequence: UInt32 = 1

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Whether rtnetlink can make `change` (links are left to iproute2: they change at start
    /// and stop only, and restoring one needs the state `ip` recorded).
    static func handles(_ change: NetworkChange) -> Bool {
        if case .link = change { return false }
        return true
    }

    /// Makes `change`, or with `undo` removes what it made. Throws what the kernel
    /// answered, worded as iproute2 words it (`RTNETLINK answers: File exists`).
    func perform(_ change: NetworkChange, undo: Bool = false) throws(NetworkConfigurationError) {
        let command = undo ? (change.undoCommand(previousLink: nil) ?? change.command) : change.command
        var message: [UInt8]
        do throws(RequestError) {
            message = try Self.request(change, undo: undo)
        } catch {
            throw NetworkConfigurationError(command: "ip \(command)", standardError: error.text)
        }
        let sent = sequence
        sequence &+= 1
        message.replaceSubrange(8..<12, with: Self.bytes(sent))
        if let failure = exchange(message, sequence: sent) {
            throw NetworkConfigurationError(command: "ip \(command)", standardError: failure)
        }
    }

    // MARK: - Messages

    private static let newRoute: UInt16 = 24, deleteRoute: UInt16 = 25
    private static let newNeighbour: UInt16 = 28, deleteNeighbour: UInt16 = 29
    private static let newRule: UInt16 = 32, deleteRule: UInt16 = 33
    private static let newAddress: UInt16 = 20, deleteAddress: UInt16 = 21

    private static let request: UInt16 = 0x1, acknowledge: UInt16 = 0x4
    private static let replace: UInt16 = 0x100, exclusive: UInt16 = 0x200, create: UInt16 = 0x400

    struct RequestError: Error {
        let text: String
    }

    /// The request for `change` (or its undoing), its sequence number left at 0.
    static func request(_ change: NetworkChange, undo: Bool) throws(RequestError) -> [UInt8] {
        let inet: UInt8 = 2  // AF_INET
        switch change {
        case .route(let address, let prefixLength, let device, let gateway, let table):
            let table = UInt32(table ?? 254)  // RT_TABLE_MAIN
            var body: [UInt8] = [inet, UInt8(prefixLength), 0, 0, table < 256 ? UInt8(table) : 0]
            if undo {
                body += [0, 255, 0]  // any protocol, RT_SCOPE_NOWHERE (matches any scope), any type
            } else {
                body += [3, gateway == nil ? 253 : 0, 1]  // RTPROT_BOOT, link or universe scope, RTN_UNICAST
            }
            body += bytes(UInt32(0))
            if prefixLength > 0 { body += attribute(1, address.octets) }  // RTA_DST
            body += attribute(4, bytes(try index(of: device)))  // RTA_OIF
            if let gateway { body += attribute(5, gateway.octets) }  // RTA_GATEWAY
            body += attribute(15, bytes(table))  // RTA_TABLE
            return message(undo ? deleteRoute : newRoute, flags: undo ? 0 : create | replace, body)
        case .neighbourProxy(let address, let device):
            // ndmsg: family, pad, pad16, ifindex, state NUD_PERMANENT, flags NTF_PROXY, type
            var body: [UInt8] = [inet, 0, 0, 0] + bytes(UInt32(try index(of: device)))
            body += bytes(UInt16(0x80)) + [0x08, 0]
            body += attribute(1, address.octets)  // NDA_DST
            return message(undo ? deleteNeighbour : newNeighbour, flags: undo ? 0 : create | replace, body)
        case .neighbour(let address, let mac, let device):
            // ndmsg: family, pad, pad16, ifindex, state NUD_PERMANENT, flags none, type
            var body: [UInt8] = [inet, 0, 0, 0] + bytes(UInt32(try index(of: device)))
            body += bytes(UInt16(0x80)) + [0, 0]
            body += attribute(1, address.octets)  // NDA_DST
            if !undo { body += attribute(2, mac.octets) }  // NDA_LLADDR
            return message(undo ? deleteNeighbour : newNeighbour, flags: undo ? 0 : create | replace, body)
        case .rule(let address, let prefixLength, let table, let priority):
            // fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action FR_ACT_TO_TBL
            var body: [UInt8] = [inet, 0, UInt8(prefixLength), 0, table < 256 ? UInt8(table) : 0, 0, 0, 1]
            body += bytes(UInt32(0))
            if prefixLength > 0 { body += attribute(2, address.octets) }  // FRA_SRC
            body += attribute(6, bytes(UInt32(priority)))  // FRA_PRIORITY
            body += attribute(15, bytes(UInt32(table)))  // FRA_TABLE
            return message(undo ? deleteRule : newRule, flags: undo ? 0 : create | exclusive, body)
        case .address(let address, let prefixLength, let device):
            // ifaddrmsg: family, prefixlen, flags, scope universe, index
            var body: [UInt8] = [inet, UInt8(prefixLength), 0, 0] + bytes(UInt32(try index(of: device)))
            body += attribute(2, address.octets)  // IFA_LOCAL
            body += attribute(1, address.octets)  // IFA_ADDRESS
            return message(undo ? deleteAddress : newAddress, flags: undo ? 0 : create | replace, body)
        case .link:
            throw RequestError(text: "links are changed with iproute2")
        }
    }

    private static func index(of device: String) throws(RequestError) -> UInt32 {
        let index = if_nametoindex(device)
        guard index != 0 else { throw RequestError(text: "Cannot find device \"\(device)\"") }
        return index
    }

    private static func message(_ type: UInt16, flags: UInt16, _ body: [UInt8]) -> [UInt8] {
        bytes(UInt32(16 + body.count)) + bytes(type) + bytes(request | acknowledge | flags) + bytes(UInt32(0))
            + bytes(UInt32(0)) + body
    }

    private static func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        let length = 4 + value.count
        return bytes(UInt16(length)) + bytes(type) + value + [UInt8](repeating: 0, count: (4 - length % 4) % 4)
    }

    static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    // MARK: - Socket

    /// Sends `message` and waits for its acknowledgement; nil when the kernel made the
    /// change, else what it said.
    private func exchange(_ message: [UInt8], sequence: UInt32) -> String? {
        if descriptor < 0, let problem = open() { return problem }
        let kernel = Self.netlinkAddress
        let sent = message.withUnsafeBytes { bytes in
            kernel.withUnsafeBytes { address in
                sendto(descriptor, bytes.baseAddress, bytes.count, 0,
                       address.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
            }
        }
        guard sent == message.count else { return reset("RTNETLINK send failed: \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard received > 0 else {
                return reset("RTNETLINK answered nothing: \(String(cString: strerror(errno)))")
            }
            var offset = 0
            while offset + 16 <= received {
                let length = Int(Self.read(UInt32.self, buffer, offset))
                let type = Self.read(UInt16.self, buffer, offset + 4)
                let number = Self.read(UInt32.self, buffer, offset + 8)
                guard length >= 16, offset + length <= received else { break }
                if number == sequence, type == 2, length >= 20 {  // NLMSG_ERROR: the acknowledgement
                    let error = Int32(bitPattern: Self.read(UInt32.self, buffer, offset + 16))
                    return error == 0 ? nil : "RTNETLINK answers: \(String(cString: strerror(-error)))"
                }
                offset += (length + 3) & ~3
            }
        }
    }

    /// struct sockaddr_nl { family u16, pad u16, port id u32, groups u32 }: the kernel's
    /// address, and a local one for the kernel to number.
    private static let netlinkAddress: [UInt8] = bytes(UInt16(AF_NETLINK)) + [UInt8](repeating: 0, count: 10)

    private func open() -> String? {
        let socket = Glibc.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)  // NETLINK_ROUTE
        guard socket >= 0 else { return "cannot open an rtnetlink socket: \(String(cString: strerror(errno)))" }
        // A kernel that never answers must not hang the agent.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Port id 0: the kernel picks one for the socket.
        let bound = Self.netlinkAddress.withUnsafeBytes { address in
            bind(socket, address.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
        }
        guard bound == 0 else {
            let problem = "cannot bind an rtnetlink socket: \(String(cString: strerror(errno)))"
            close(socket)
            return problem
        }
        descriptor = socket
        return nil
    }

    /// Closes the socket after a failed exchange (a late answer must not be taken for the
    /// next request's), returning `problem`.
    private func reset(_ problem: String) -> String {
        close(descriptor)
        descriptor = -1
        return problem
    }

    private static func read<T: FixedWidthInteger>(_: T.Type, _ buffer: [UInt8], _ offset: Int) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: buffer[offset..<offset + MemoryLayout<T>.size]) }
        return T(littleEndian: value)
    }
}
