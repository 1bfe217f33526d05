import GLMWire
import NIOCore
import PacketCapture

/// A capture of one registration, handoff and revocation, as our agents would exchange
/// them, written with our encoder: the input of the interop tests and of `make decode-demo`.
enum SignalingCapture {
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let siteA = IPv4Address(198, 18, 1, 2)
    static let siteB = IPv4Address(198, 18, 2, 2)
    static let home = IPv4Address(198, 18, 0, 2)
    static let siteMAC = MACAddress(0x02, 0, 0, 0, 1, 2)
    static let homeMAC = MACAddress(0x02, 0, 0, 0, 0, 2)
    static let key = Array(0..<32).map { UInt8($0) }
    static let association = SecurityAssociation(spi: 256, algorithm: .hmacSHA256_128, key: key)!
    static let legacyAssociation = SecurityAssociation(spi: 257, algorithm: .hmacSHA1_96, key: Array(key.prefix(20)))!
    static let timestamp = PMIPTimestamp(seconds: 0x0000_6500_0000, fraction: 0x8000)!

    struct Entry {
        let from: IPv4Address
        let to: IPv4Address
        let sourcePort: UInt16
        let destinationPort: UInt16
        let message: MobilityMessage
        let association: SecurityAssociation
    }

    static let entries: [Entry] = [
        Entry(from: siteB, to: home, sourcePort: 5436, destinationPort: 5436, message: .proxyBindingUpdate(ProxyBindingUpdate(
            sequenceNumber: 4660, flags: [.acknowledge, .proxy], lifetimeUnits: 75, options: [
                .mobileNodeIdentifier(.eui48(vm)), .handoffIndicator(.handoffBetweenMAGs), .accessTechnologyType(.virtual),
                .timestamp(timestamp), .ipv4HomeAddressRequest(IPv4HomeAddressRequest(prefixLength: 24, address: IPv4Address(10, 10, 0, 50))),
            ])), association: association),
        Entry(from: home, to: siteB, sourcePort: 5436, destinationPort: 5436, message: .proxyBindingAcknowledgement(ProxyBindingAcknowledgement(
            status: .accepted, flags: [.proxy], sequenceNumber: 4660, lifetimeUnits: 75, options: [
                .mobileNodeIdentifier(.eui48(vm)), .timestamp(timestamp),
                .ipv4HomeAddressReply(IPv4HomeAddressReply(status: .success, prefixLength: 24, address: IPv4Address(10, 10, 0, 50))),
                .ipv4DefaultRouterAddress(IPv4Address(10, 10, 0, 1)), .greKey(3_735_928_559),
            ])), association: association),
        Entry(from: home, to: siteA, sourcePort: 5436, destinationPort: 5436, message: .bindingRevocationIndication(BindingRevocationIndication(
            trigger: .interMAGHandoverSameAccessType, sequenceNumber: 85, flags: [.proxyBinding],
            options: [.mobileNodeIdentifier(.eui48(vm)), .timestamp(timestamp)])), association: association),
        Entry(from: siteA, to: home, sourcePort: 5436, destinationPort: 5436, message: .bindingRevocationAcknowledgement(BindingRevocationAcknowledgement(
            status: .success, sequenceNumber: 85, flags: [.proxyBinding],
            options: [.mobileNodeIdentifier(.eui48(vm))])), association: association),
        Entry(from: home, to: siteA, sourcePort: 5436, destinationPort: 5436, message: .heartbeat(Heartbeat(
            flags: [], sequenceNumber: 3_735_928_559)), association: association),
        Entry(from: siteA, to: home, sourcePort: 5436, destinationPort: 5436, message: .heartbeat(Heartbeat(
            flags: [.response], sequenceNumber: 3_735_928_559, options: [.restartCounter(77)])), association: association),
        Entry(from: siteA, to: home, sourcePort: 40000, destinationPort: 5436, message: .proxyBindingUpdate(ProxyBindingUpdate(
            sequenceNumber: 9, flags: [.acknowledge, .proxy], lifetimeUnits: 0, options: [
                .mobileNodeIdentifier(.nai("vm-42@tenant.example")), .handoffIndicator(.handoffStateNotChanged),
                .accessTechnologyType(.virtual), .timestamp(timestamp),
                .ipv4HomeAddressRequest(IPv4HomeAddressRequest()), .linkLayerIdentifier(vm.octets),
            ])), association: legacyAssociation),
    ]

    /// The UDP payload of each entry, signed.
    static func payloads() throws -> [[UInt8]] {
        try entries.map { entry in
            let signer = MessageSigner(association: entry.association, scope: AuthenticationScope(sender: entry.from, receiver: entry.to))
            return Array(try MobilityHeader.encode(entry.message, signer: signer).readableBytesView)
        }
    }

    /// Writes the entries as Ethernet frames, one millisecond apart, plus `extra` raw
    /// UDP payloads sent to port 5436 afterwards.
    static func write(to path: String, extra: [[UInt8]] = []) throws {
        let writer = try PcapFileWriter(path: path, linkType: .ethernet)
        var time = CaptureTimestamp(seconds: 1_795_000_000, nanoseconds: 0)
        let payloads = try payloads()
        for (entry, payload) in zip(entries, payloads) {
            let frame = try FrameBuilder.ethernetIPv4UDP(
                destinationMAC: entry.to == home ? homeMAC : siteMAC, sourceMAC: entry.from == home ? homeMAC : siteMAC,
                source: entry.from, destination: entry.to,
                sourcePort: entry.sourcePort, destinationPort: entry.destinationPort, payload: payload)
            try writer.write(frame, at: time)
            time = time.advanced(by: .milliseconds(1))
        }
        for payload in extra {
            let frame = try FrameBuilder.ethernetIPv4UDP(
                destinationMAC: homeMAC, sourceMAC: siteMAC, source: siteA, destination: home,
                sourcePort: 5436, destinationPort: 5436, payload: payload)
            try writer.write(frame, at: time)
            time = time.advanced(by: .milliseconds(1))
        }
        try writer.close()
    }
}
