import Foundation
import GLMWire

/// `register-stream`: a site hypervisor registering many VMs without pause, for the
/// cluster tests' claim that no acknowledged binding is lost to a failover.
///
/// Every `--interval-ms` it sends one authenticated PBU (as `register` does), for the
/// next of `--count` VMs (MACs from `--mac` upwards) in turn, each with the next sequence
/// number and the time as its Timestamp, from `--from` (and `--source-port`) to the home agent; for
/// `--duration-s`, then one more second for late answers. It prints, per VM, the last
/// sequence number the home agent accepted (`acknowledged MAC SEQUENCE`), and a last line
/// `sent S accepted A refused R unanswered U longest-silence-ms G` (G: the longest time
/// between two accepted PBAs).
enum RegistrationStream {
    static func run(_ options: ProbeOptions) throws {
        let from = options.address("--from")
        let home = options.address("--to")
        let homePort = UInt16(options.int("--port", default: 5436))
        guard let key = [UInt8](hexString: options.required("--key")),
              let association = SecurityAssociation(spi: UInt32(options.int("--spi", default: 256)), key: key) else {
            ProbeOptions.usage("--key must be hex of at least \(SecurityAssociation.minimumKeyLength) octets, --spi 256 or more")
        }
        let first = options.mac("--mac").rawValue
        let count = options.int("--count", default: 16)
        let interval = Double(options.int("--interval-ms", default: 10)) / 1000
        let duration = Double(options.int("--duration-s", default: 5))
        let lifetime = UInt16(options.int("--lifetime", default: 75))
        let socket = try SiteEnd.SignalingSocket(local: from, port: UInt16(options.int("--source-port", default: 0)),
                                                 home: home, homePort: homePort, association: association)
        defer { socket.close() }

        var inFlight: [UInt16: MACAddress] = [:]
        var acknowledged: [MACAddress: UInt16] = [:]
        var sent = 0, accepted = 0, refused = 0
        var lastAccepted: Date?
        var longestSilence = 0.0
        var sequence: UInt16 = 0
        let start = Date()
        let end = start.addingTimeInterval(duration)
        var nextSend = start
        while Date() < end.addingTimeInterval(1) {
            if Date() >= nextSend, Date() < end {
                sequence &+= 1
                let vm = MACAddress(rawValue: first + UInt64(sent % count))!
                try socket.send(.proxyBindingUpdate(SiteEnd.update(vm, sequence: sequence, lifetime: lifetime)))
                inFlight[sequence] = vm
                sent += 1
                nextSend = nextSend.addingTimeInterval(interval)
            }
            let wait = Date() < end ? min(nextSend, end) : end.addingTimeInterval(1)
            guard let (message, verified) = try socket.receive(until: wait),
                  case .proxyBindingAcknowledgement(let pba) = message, verified,
                  let vm = inFlight.removeValue(forKey: pba.sequenceNumber) else { continue }
            guard pba.status == .accepted else {
                refused += 1
                continue
            }
            accepted += 1
            acknowledged[vm] = max(acknowledged[vm] ?? 0, pba.sequenceNumber)
            let now = Date()
            if let lastAccepted { longestSilence = max(longestSilence, now.timeIntervalSince(lastAccepted)) }
            lastAccepted = now
        }
        for (vm, sequence) in acknowledged.sorted(by: { $0.key < $1.key }) {
            print("acknowledged \(vm) \(sequence)")
        }
        print("sent \(sent) accepted \(accepted) refused \(refused) unanswered \(inFlight.count) "
              + "longest-silence-ms \(Int(longestSilence * 1000))")
        fflush(nil)
    }
}
