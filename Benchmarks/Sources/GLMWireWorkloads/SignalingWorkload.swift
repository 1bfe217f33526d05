import Crypto
import GLMWire
import NIOCore

/// The typical Proxy Binding Update and the operations measured on it.
///
/// The message is the test suite's sample PBU (MN-ID EUI-48, Handoff Indicator, Access
/// Technology Type, Timestamp, IPv4 Home Address Request) signed by SPI 0x100 with
/// HMAC-SHA-256-128: 80 octets on the wire. `init` checks that it encodes to the
/// independently computed vector of AuthenticationTests and verifies, so every
/// operation measures the path a real message takes.
public struct SignalingWorkload: Sendable {
    public let message: MobilityMessage
    public let signer: MessageSigner
    public let associations: SecurityAssociations
    public let scope: AuthenticationScope
    /// The signed PBU as received.
    public let signedBytes: ByteBuffer
    /// What the authenticator covers, as one input: sender, receiver, then the Mobility
    /// Header through the SPI with the checksum zero (Docs/protocol.md).
    public let coveredInput: [UInt8]
    private let key: SymmetricKey

    /// The AuthenticationTests vector for this message and signer.
    static let expectedSignedHex =
        "3b090500000000078200004b080705525400123456170200031802000101030000001b0800006afd86c08000"
        + "240600000000000001030000000915010000010034a8ce90ebe165bd1cbbaae38c012c37"

    public init() throws {
        let vm = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)
        let keyBytes = Array(0..<32).map { UInt8($0) }
        let association = SecurityAssociation(spi: 0x100, algorithm: .hmacSHA256_128, key: keyBytes)!
        scope = AuthenticationScope(sender: IPv4Address(198, 18, 1, 2), receiver: IPv4Address(198, 18, 0, 2))
        signer = MessageSigner(association: association, scope: scope)
        associations = SecurityAssociations([association])
        key = SymmetricKey(data: keyBytes)
        message = .proxyBindingUpdate(ProxyBindingUpdate(
            sequenceNumber: 7, flags: [.acknowledge, .proxy], lifetimeUnits: 75,
            options: [
                .mobileNodeIdentifier(.eui48(vm)),
                .handoffIndicator(.handoffBetweenMAGs),
                .accessTechnologyType(.virtual),
                .timestamp(PMIPTimestamp(seconds: 1_795_000_000, fraction: 0x8000)!),
                .ipv4HomeAddressRequest(IPv4HomeAddressRequest(prefixLength: 0, address: .any)),
            ]))
        signedBytes = try MobilityHeader.encode(message, signer: signer)
        guard signedBytes.readableBytesView.hexString == Self.expectedSignedHex else {
            throw WorkloadError("the sample PBU no longer encodes to the AuthenticationTests vector")
        }

        let header = try MobilityHeader(decoding: signedBytes)
        guard associations.verify(header, bytes: signedBytes, scope: scope) == .verified(spi: 0x100),
              let covered = header.authenticatedLength else {
            throw WorkloadError("the sample PBU does not verify")
        }
        let octets = Array(signedBytes.readableBytesView)
        coveredInput = scope.sender.octets + scope.receiver.octets
            + octets[0..<4] + [0, 0] + octets[6..<covered]
    }

    /// Encodes the PBU without authentication into `buffer`, which the caller clears.
    @inlinable
    public func encodeUnsigned(into buffer: inout ByteBuffer) throws -> Int {
        try MobilityHeader.encode(message, into: &buffer)
    }

    /// Encodes and signs the PBU into `buffer`, which the caller clears.
    @inlinable
    public func encodeSigned(into buffer: inout ByteBuffer) throws -> Int {
        try MobilityHeader.encode(message, signer: signer, into: &buffer)
    }

    /// Decodes the signed PBU without checking its authenticator.
    @inlinable
    public func decode() throws -> MobilityHeader {
        try MobilityHeader(decoding: signedBytes)
    }

    /// Decodes the signed PBU and checks its authenticator, as a receiver does.
    @inlinable
    public func decodeAndVerify() throws -> AuthenticationVerdict {
        let header = try MobilityHeader(decoding: signedBytes)
        return associations.verify(header, bytes: signedBytes, scope: scope)
    }

    /// HMAC-SHA-256 over the covered octets and nothing else: what verification cannot beat.
    public func bareHMAC() -> HashedAuthenticationCode<SHA256> {
        HMAC<SHA256>.authenticationCode(for: coveredInput, using: key)
    }
}

public struct WorkloadError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
