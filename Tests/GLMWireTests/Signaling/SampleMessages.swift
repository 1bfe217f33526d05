import GLMWire
import NIOCore

/// Messages as the agents send them, for tests that need typical traffic.
enum SampleMessages {
    static let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
    static let site = IPv4Address(198, 18, 1, 2)
    static let home = IPv4Address(198, 18, 0, 2)
    static let timestamp = PMIPTimestamp(seconds: 1_795_000_000, fraction: 0x8000)!

    static let key256 = Array(0..<32).map { UInt8($0) }
    static let key160 = Array(100..<120).map { UInt8($0) }
    static let sha256 = SecurityAssociation(spi: 0x100, algorithm: .hmacSHA256_128, key: key256)!
    static let sha1 = SecurityAssociation(spi: 0x200, algorithm: .hmacSHA1_96, key: key160)!

    static var siteSigner: MessageSigner {
        MessageSigner(association: sha256, scope: AuthenticationScope(sender: site, receiver: home))
    }

    static let proxyBindingUpdate = ProxyBindingUpdate(
        sequenceNumber: 7, flags: [.acknowledge, .proxy], lifetimeUnits: 75,
        options: [
            .mobileNodeIdentifier(.eui48(vm)),
            .handoffIndicator(.handoffBetweenMAGs),
            .accessTechnologyType(.virtual),
            .timestamp(timestamp),
            .ipv4HomeAddressRequest(IPv4HomeAddressRequest(prefixLength: 0, address: .any)),
        ])

    static let proxyBindingAcknowledgement = ProxyBindingAcknowledgement(
        status: .accepted, flags: [.proxy], sequenceNumber: 7, lifetimeUnits: 75,
        options: [
            .mobileNodeIdentifier(.eui48(vm)),
            .timestamp(timestamp),
            .ipv4HomeAddressReply(IPv4HomeAddressReply(status: .success, prefixLength: 24, address: IPv4Address(10, 10, 0, 50))),
            .ipv4DefaultRouterAddress(IPv4Address(10, 10, 0, 1)),
            .greKey(0x0001_0203),
        ])

    static let heartbeat = Heartbeat(flags: [], sequenceNumber: 0xdead_beef)
    static let heartbeatResponse = Heartbeat(flags: [.response], sequenceNumber: 1, options: [.restartCounter(9)])

    static let revocationIndication = BindingRevocationIndication(
        trigger: .interMAGHandoverSameAccessType, sequenceNumber: 42, flags: [.proxyBinding],
        options: [.mobileNodeIdentifier(.eui48(vm)), .timestamp(timestamp)])

    static let revocationAcknowledgement = BindingRevocationAcknowledgement(
        status: .success, sequenceNumber: 42, flags: [.proxyBinding],
        options: [.mobileNodeIdentifier(.eui48(vm))])

    /// One of each message, and each option at least once.
    static let all: [MobilityMessage] = [
        .proxyBindingUpdate(proxyBindingUpdate),
        .proxyBindingUpdate(ProxyBindingUpdate(
            sequenceNumber: 0xffff, flags: [.acknowledge, .proxy, .forceUDPEncapsulation, .tlvHeaderFormat],
            lifetimeUnits: 0,
            options: [.mobileNodeIdentifier(.nai("vm-42@tenant.example")), .linkLayerIdentifier(vm.octets),
                      .greKey(nil), .handoffIndicator(.attachmentOverNewInterface),
                      .unknown(UnknownMobilityOption(type: 200, data: [1, 2, 3]))])),
        .proxyBindingAcknowledgement(proxyBindingAcknowledgement),
        .proxyBindingUpdate(ProxyBindingUpdate(
            sequenceNumber: 8, flags: [.acknowledge, .proxy], lifetimeUnits: 5,
            options: [.mobileNodeIdentifier(.eui48(vm)), .timestamp(timestamp), .vendorSpecific(.prepare),
                      .vendorSpecific(VendorSpecificOption(vendorID: 10415, subtype: 7, data: [9, 8, 7])),
                      .ipv4HomeAddressRequest(IPv4HomeAddressRequest(prefixLength: 0, address: .any))])),
        .proxyBindingAcknowledgement(ProxyBindingAcknowledgement(
            status: .authenticationFailed, flags: [.proxy], sequenceNumber: 1, lifetimeUnits: 0, options: [])),
        .heartbeat(heartbeat),
        .heartbeat(heartbeatResponse),
        .bindingRevocationIndication(revocationIndication),
        .bindingRevocationAcknowledgement(revocationAcknowledgement),
    ]

    static func encode(_ message: MobilityMessage, signer: MessageSigner? = nil) throws -> [UInt8] {
        let buffer = try MobilityHeader.encode(message, signer: signer)
        return Array(buffer.readableBytesView)
    }
}
