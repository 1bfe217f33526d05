import Foundation
import GLMWire
import Synchronization

/// Facts about a network interface of the current network namespace, and sending a
/// raw Ethernet frame on it.
public enum NetworkInterface {
    /// The interface's own MAC address, from `/sys/class/net/NAME/address`.
    ///
    /// Throws ``DataPlaneError/Code/interface`` when the interface does not exist or has
    /// no Ethernet address (a TUN device has none).
    public static func macAddress(of name: String) throws(DataPlaneError) -> MACAddress {
        let path = "/sys/class/net/\(name)/address"
        guard !name.contains("/"), let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DataPlaneError(.interface, "\(name): no such interface (\(path) unreadable)")
        }
        guard let mac = MACAddress(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw DataPlaneError(.interface, "\(name): \"\(text.trimmingCharacters(in: .whitespacesAndNewlines))\" is not an Ethernet address")
        }
        return mac
    }

    /// The complete IPv4 neighbour entries on `name` (`/proc/net/arp` of the current
    /// namespace): the addresses this host has resolved there, and their MACs.
    public static func neighbours(on name: String) -> [(address: IPv4Address, mac: MACAddress)] {
        guard let text = try? String(contentsOfFile: "/proc/net/arp", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // IP address, HW type, Flags (0x2: complete), HW address, Mask, Device
            guard fields.count >= 6, fields[5] == name, let flags = Int(fields[2].dropFirst(2), radix: 16), flags & 0x2 != 0,
                  let address = IPv4Address(String(fields[0])), let mac = MACAddress(String(fields[3])), mac != .zero else {
                return nil
            }
            return (address, mac)
        }
    }

    /// The interface's own IPv4 addresses (`getifaddrs`).
    public static func addresses(of name: String) -> [IPv4Address] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var addresses: [IPv4Address] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let socketAddress = entry.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET),
                  String(cString: entry.pointee.ifa_name) == name else { continue }
            let raw = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            addresses.append(IPv4Address(rawValue: UInt32(bigEndian: raw)))
        }
        return addresses
    }

    /// The interface that holds `address`, if one does (`getifaddrs`).
    public static func name(holding address: IPv4Address) -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let socketAddress = entry.pointee.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let raw = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            if IPv4Address(rawValue: UInt32(bigEndian: raw)) == address { return String(cString: entry.pointee.ifa_name) }
        }
        return nil
    }

    /// The interface's index, or nil when it does not exist.
    public static func index(of name: String) -> Int32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : Int32(bitPattern: index)
    }

    /// One `AF_PACKET` socket for every frame this process sends, opened at the first and
    /// kept: closing a packet socket waits for an RCU grace period in the kernel (about
    /// 10 ms), which a handoff's critical path cannot afford. Bound to protocol 0, it
    /// receives nothing.
    private static let sender = Mutex<Int32>(-1)

    private static func sendingSocket() throws(DataPlaneError) -> Int32 {
        let descriptor = sender.withLock { descriptor in
            if descriptor < 0 {
                descriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            }
            return descriptor
        }
        guard descriptor >= 0 else { throw DataPlaneError(.socket, systemError: errno, "AF_PACKET socket") }
        return descriptor
    }

    /// Sends one complete Ethernet frame on `name` through an `AF_PACKET` socket
    /// (needs CAP_NET_RAW); the frame's first six octets are its destination.
    public static func send(frame: [UInt8], on name: String) throws(DataPlaneError) {
        guard frame.count >= 14 else {
            throw DataPlaneError(.invalidArgument, "a \(frame.count)-octet frame has no Ethernet header")
        }
        guard let index = index(of: name) else {
            throw DataPlaneError(.interface, "\(name): no such interface")
        }
        let etherType = UInt16(frame[12]) << 8 | UInt16(frame[13])
        let descriptor = try sendingSocket()
        // struct sockaddr_ll: family u16, protocol u16 (network order), ifindex i32,
        // hatype u16, pkttype u8, halen u8, addr[8].
        var address = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { address.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: etherType.bigEndian) { address.replaceSubrange(2..<4, with: $0) }
        withUnsafeBytes(of: index) { address.replaceSubrange(4..<8, with: $0) }
        address[11] = 6
        address.replaceSubrange(12..<18, with: frame[0..<6])
        let sent = frame.withUnsafeBytes { bytes in
            address.withUnsafeBytes { socketAddress in
                sendto(descriptor, bytes.baseAddress, bytes.count, 0,
                       socketAddress.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(socketAddress.count))
            }
        }
        guard sent == frame.count else {
            throw DataPlaneError(.socket, systemError: errno, "send on \(name)")
        }
    }
}
