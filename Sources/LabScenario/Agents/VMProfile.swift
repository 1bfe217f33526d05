/// A VM of the lab as the agents know it: its MAC, its home address and its gateway.
public struct VMProfile: Hashable, Sendable {
    /// A short name for reports and interface names (at most 8 characters).
    public var name: String
    public var mac: String
    public var address: String
    public var prefixLength: Int
    public var gateway: String

    public init(name: String, mac: String, address: String, prefixLength: Int = 24, gateway: String = "10.10.0.1") {
        self.name = name
        self.mac = mac
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
    }

    /// The lab's VMs: vm1 at 10.10.0.50 with MAC 52:54:00:12:34:56, vm2 at 10.10.0.51, …
    public static func lab(count: Int) -> [VMProfile] {
        (0..<count).map { index in
            VMProfile(name: "vm\(index + 1)", mac: String(format: "52:54:00:12:34:%02x", 0x56 + index),
                      address: "10.10.0.\(50 + index)")
        }
    }
}
