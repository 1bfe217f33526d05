import Foundation
import GLMWire

/// `--name value` options, some repeatable.
struct ProbeOptions {
    private var values: [String: [String]] = [:]
    private var flags: Set<String> = []

    static let flagNames: Set<String> = ["--os-routes", "--garbage", "--tlv"]

    init(_ arguments: [String]) {
        var index = 0
        while index < arguments.count {
            let name = arguments[index]
            if Self.flagNames.contains(name) {
                flags.insert(name)
                index += 1
            } else if name.hasPrefix("--"), index + 1 < arguments.count {
                values[name, default: []].append(arguments[index + 1])
                index += 2
            } else {
                Self.usage("unexpected argument \(name)")
            }
        }
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func all(_ name: String) -> [String] { values[name] ?? [] }

    func string(_ name: String) -> String? { values[name]?.last }

    func required(_ name: String) -> String {
        guard let value = string(name) else { Self.usage("missing \(name)") }
        return value
    }

    func int(_ name: String, default value: Int) -> Int {
        guard let text = string(name) else { return value }
        guard let number = Int(text) else { Self.usage("\(name) \(text) is not a number") }
        return number
    }

    func address(_ name: String) -> IPv4Address {
        let text = required(name)
        guard let address = IPv4Address(text) else { Self.usage("\(name) \(text) is not an IPv4 address") }
        return address
    }

    func mac(_ name: String) -> MACAddress {
        let text = required(name)
        guard let mac = MACAddress(text) else { Self.usage("\(name) \(text) is not a MAC address") }
        return mac
    }

    /// `A.B.C.D:PORT`.
    func endpoint(_ name: String) -> (IPv4Address, UInt16) {
        let text = required(name)
        let parts = text.split(separator: ":")
        guard parts.count == 2, let address = IPv4Address(parts[0]), let port = UInt16(parts[1]) else {
            Self.usage("\(name) \(text) is not ADDRESS:PORT")
        }
        return (address, port)
    }

    /// `A.B.C.D[/LEN]`.
    static func prefix(_ text: some StringProtocol) -> (IPv4Address, Int)? {
        let parts = text.split(separator: "/")
        guard let address = IPv4Address(parts[0]) else { return nil }
        guard parts.count == 2 else { return parts.count == 1 ? (address, 32) : nil }
        guard let length = Int(parts[1]), (0...32).contains(length) else { return nil }
        return (address, length)
    }

    static func usage(_ problem: String? = nil) -> Never {
        if let problem { FileHandle.standardError.write(Data("glm-tunnel-probe: \(problem)\n".utf8)) }
        FileHandle.standardError.write(Data("""
        usage:
          glm-tunnel-probe tunnel --local ADDR [--name glm0] [--mtu N] [--offload on|off] [--implementation user-space|ebpf]
                 [--route PREFIX=PEER[,bare|tlv|gre|gre:KEY]]... [--anchored PREFIX=PEER[,...]]... [--prepare PREFIX=PEER[,...]]...
                 [--os-routes] [--proxy-arp IF] [--policy SOURCE=TABLE] [--counters FILE]
          glm-tunnel-probe route-changes --local ADDR [--name glmbench0] [--implementation user-space|ebpf] [--routes N]
          glm-tunnel-probe send --from ADDR --to ADDR [--port 5437] --inner-source ADDR
                 --inner-destination ADDR [--inner-port 7777] [--key K | --tlv] [--payload TEXT] [--garbage]
          glm-tunnel-probe udp-sink --bind ADDR:PORT --ready FILE [--seconds S] [--until TEXT]
          glm-tunnel-probe tcp-sink --bind ADDR:PORT --ready FILE
          glm-tunnel-probe tcp-source --to ADDR:PORT --bytes N
          glm-tunnel-probe register --from ADDR --to ADDR [--port 5436] [--source-port P] --spi N --key HEX
                 --mac MAC [--lifetime UNITS] [--sequence N] [--wait S] [--linger S]
          glm-tunnel-probe announce --interface IF --mac MAC [--count N] [--interval-ms MS] [--guest-address ADDR]
          glm-tunnel-probe register-stream --from ADDR --to ADDR [--port 5436] [--source-port P] --spi N --key HEX
                 --mac FIRST-MAC [--count VMS] [--interval-ms MS] [--duration-s S] [--lifetime UNITS]

        """.utf8))
        exit(2)
    }
}
