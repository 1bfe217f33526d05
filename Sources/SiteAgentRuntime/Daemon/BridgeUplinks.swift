import Foundation

/// The ports that join a host's bridges to its site's LAN, when the configuration does
/// not name them: the bridges' ports that are network hardware (a `device` in sysfs),
/// bonds or VLAN interfaces. A VM's tap or veth is none of these.
public enum BridgeUplinks {
    public static func detect(on bridges: [String], sysfs: String = "/sys/class/net") -> Set<String> {
        var uplinks: Set<String> = []
        for bridge in bridges {
            let ports = (try? FileManager.default.contentsOfDirectory(atPath: "\(sysfs)/\(bridge)/brif")) ?? []
            for port in ports where isUplink(port, sysfs: sysfs) {
                uplinks.insert(port)
            }
        }
        return uplinks
    }

    static func isUplink(_ port: String, sysfs: String) -> Bool {
        let files = FileManager.default
        return files.fileExists(atPath: "\(sysfs)/\(port)/device")
            || files.fileExists(atPath: "\(sysfs)/\(port)/bonding")
            || files.fileExists(atPath: "/proc/net/vlan/\(port)")
    }
}
