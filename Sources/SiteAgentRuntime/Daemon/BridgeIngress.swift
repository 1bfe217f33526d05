import Foundation
import GLMWire

/// Which port of a host bridge a MAC was learnt on: the bridge's forwarding database as
/// the kernel exports it in `/sys/class/net/BRIDGE/brforward` (an array of
/// `struct __fdb_entry`, linux/if_bridge.h), and each port's number in
/// `/sys/class/net/BRIDGE/brif/PORT/port_no`.
///
/// A bridge learns a frame's source before it passes the frame up to the host, so by the
/// time a capture on the bridge hands over a VM's announce, its entry names the port it
/// came in by: a local VM's tap, or the uplink to the site's LAN (a VM on another
/// hypervisor of the same LAN, whose announce is broadcast).
public enum BridgeIngress {
    /// The size of one `struct __fdb_entry`: mac[6], port_no, is_local, ageing_timer_value
    /// (u32), port_hi, pad0, unused (u16).
    static let entrySize = 16

    /// The name of the port `bridge` learnt `mac` on; nil when it has not (or the bridge
    /// cannot be read).
    public static func port(of mac: MACAddress, bridge: String, sysfs: String = "/sys/class/net") -> String? {
        guard let table = FileManager.default.contents(atPath: "\(sysfs)/\(bridge)/brforward"),
              let number = portNumber(of: mac, in: Array(table)) else { return nil }
        let folder = "\(sysfs)/\(bridge)/brif"
        for port in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            guard let text = try? String(contentsOfFile: "\(folder)/\(port)/port_no", encoding: .utf8) else { continue }
            let digits = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if Int(digits.hasPrefix("0x") ? String(digits.dropFirst(2)) : digits, radix: 16) == number { return port }
        }
        return nil
    }

    /// The port number of `mac`'s learnt (not local) entry in a `brforward` table.
    static func portNumber(of mac: MACAddress, in table: [UInt8]) -> Int? {
        let wanted = mac.octets
        var offset = 0
        while offset + entrySize <= table.count {
            defer { offset += entrySize }
            guard table[offset..<offset + 6].elementsEqual(wanted), table[offset + 7] == 0 else { continue }
            return Int(table[offset + 12]) << 8 | Int(table[offset + 6])
        }
        return nil
    }
}
