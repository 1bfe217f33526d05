import AgentRuntime
import Foundation
import GLMWire
import NIOCore

/// What a site does that the lab needs without a site agent: register a VM with its
/// home agent, answer the revocation that follows, and send a VM's announce as QEMU
/// sends it when the VM resumes.
enum SiteEnd {
    /// `register`: one authenticated PBU for `--mac` (MN-ID EUI-48, HI 3, ATT virtual,
    /// Timestamp now, IPv4 HoA Request, flags A, P and T) from `--from` to the home
    /// agent's signaling port; prints `PBA status N (name) lifetime S verified B`.
    /// With `--linger S` it then waits up to S seconds for a BRI, answers it with a BRA
    /// and prints `BRI trigger N (name) sequence Q verified B; BRA sent`. Exits 1 when no
    /// PBA (or, with `--linger`, no BRI) arrives in time.
    static func register(_ options: ProbeOptions) throws {
        let from = options.address("--from")
        let home = options.address("--to")
        let homePort = UInt16(options.int("--port", default: 5436))
        let mac = options.mac("--mac")
        guard let key = [UInt8](hexString: options.required("--key")),
              let association = SecurityAssociation(spi: UInt32(options.int("--spi", default: 256)), key: key) else {
            ProbeOptions.usage("--key must be hex of at least \(SecurityAssociation.minimumKeyLength) octets, --spi 256 or more")
        }
        let socket = try SignalingSocket(local: from, port: UInt16(options.int("--source-port", default: 0)),
                                         home: home, homePort: homePort, association: association)
        defer { socket.close() }

        let sequence = UInt16(options.int("--sequence", default: Int(UInt16.random(in: 1...UInt16.max))))
        try socket.send(.proxyBindingUpdate(update(mac, sequence: sequence, lifetime: UInt16(options.int("--lifetime", default: 75)))))

        let answered = Date().addingTimeInterval(Double(options.int("--wait", default: 3)))
        var acknowledged = false
        while !acknowledged, let (message, verified) = try socket.receive(until: answered) {
            if case .proxyBindingAcknowledgement(let pba) = message, pba.sequenceNumber == sequence {
                say("PBA status \(pba.status) lifetime \(pba.lifetimeSeconds) verified \(verified)")
                acknowledged = true
            }
        }
        guard acknowledged else { throw TrafficTools.Failure("no PBA from \(home):\(homePort)", ETIMEDOUT) }

        let linger = options.int("--linger", default: 0)
        guard linger > 0 else { return }
        let revoked = Date().addingTimeInterval(Double(linger))
        while let (message, verified) = try socket.receive(until: revoked) {
            guard case .bindingRevocationIndication(let bri) = message else { continue }
            let acknowledgement = BindingRevocationAcknowledgement(
                status: .success, sequenceNumber: bri.sequenceNumber, flags: bri.flags,
                options: bri.options.mobileNodeIdentifier.map { [.mobileNodeIdentifier($0)] } ?? [])
            try socket.send(.bindingRevocationAcknowledgement(acknowledgement))
            say("BRI trigger \(bri.trigger.rawValue) (\(bri.trigger.name ?? "?")) sequence \(bri.sequenceNumber) "
                + "verified \(verified); BRA sent")
            return
        }
        throw TrafficTools.Failure("no BRI within \(linger) s", ETIMEDOUT)
    }

    /// A PBU as a site agent sends it for a VM arriving: MN-ID EUI-48, HI 3, ATT virtual,
    /// Timestamp now, IPv4 HoA Request, flags A, P and T.
    static func update(_ mac: MACAddress, sequence: UInt16, lifetime: UInt16) -> ProxyBindingUpdate {
        ProxyBindingUpdate(
            sequenceNumber: sequence, flags: [.acknowledge, .proxy, .tlvHeaderFormat], lifetimeUnits: lifetime, options: [
                .mobileNodeIdentifier(.eui48(mac)), .handoffIndicator(.handoffBetweenMAGs),
                .accessTechnologyType(.virtual),
                .timestamp(PMIPTimestamp(secondsSince1970: Date().timeIntervalSince1970)!),
                .ipv4HomeAddressRequest(IPv4HomeAddressRequest()),
            ])
    }

    /// `announce`: QEMU's announce for `--mac` (a broadcast RARP from the VM's own MAC),
    /// sent `--count` times on `--interface`.
    /// What a migrated VM sends as it resumes: QEMU's announces (RARP, `--count` of them,
    /// `--interval-ms` apart) and, with `--guest-address`, the guest's own gratuitous ARP
    /// after the first, as a Linux guest with virtio-net's announce feature sends it.
    static func announce(_ options: ProbeOptions) throws {
        let mac = options.mac("--mac")
        let frame = FrameBuilder.selfAnnounce(mac: mac)
        let interface = options.required("--interface")
        let interval = options.int("--interval-ms", default: 0)
        let guest = options.string("--guest-address").map { _ in options.address("--guest-address") }
        for index in 0..<options.int("--count", default: 1) {
            if index > 0, interval > 0 { usleep(UInt32(interval * 1000)) }
            try NetworkInterface.send(frame: frame, on: interface)
            if index == 0, let guest {
                try NetworkInterface.send(frame: FrameBuilder.gratuitousARP(mac: mac, ipv4: guest, padded: true), on: interface)
            }
        }
        say("announced on \(interface)")
    }

    private static func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    /// A site's signaling socket: signs what it sends, verifies what it receives.
    struct SignalingSocket {
        let descriptor: Int32
        let local: IPv4Address
        let home: IPv4Address
        let homePort: UInt16
        let association: SecurityAssociation

        init(local: IPv4Address, port: UInt16, home: IPv4Address, homePort: UInt16,
             association: SecurityAssociation) throws {
            descriptor = try TrafficTools.udpSocket(bound: local, port: port)
            self.local = local
            self.home = home
            self.homePort = homePort
            self.association = association
        }

        func send(_ message: MobilityMessage) throws {
            let signer = MessageSigner(association: association, scope: AuthenticationScope(sender: local, receiver: home))
            let bytes = Array(try MobilityHeader.encode(message, signer: signer).readableBytesView)
            var destination = TrafficTools.socketAddress(home, homePort)
            let sent = bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == bytes.count else { throw TrafficTools.Failure("sendto \(home):\(homePort)") }
        }

        /// The next message from the home agent that decodes, with whether it verified;
        /// nil when `deadline` passes first.
        func receive(until deadline: Date) throws -> (MobilityMessage, Bool)? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while deadline.timeIntervalSinceNow > 0 {
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, max(1, Int32(deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
                let count = recv(descriptor, &buffer, buffer.count, 0)
                guard count > 0 else { continue }
                let bytes = ByteBuffer(bytes: buffer[0..<count])
                guard let header = try? MobilityHeader(decoding: bytes) else { continue }
                let verdict = SecurityAssociations([association])
                    .verify(header, bytes: bytes, scope: AuthenticationScope(sender: home, receiver: local))
                return (header.message, verdict.isVerified)
            }
            return nil
        }

        func close() {
            Glibc.close(descriptor)
        }
    }
}
