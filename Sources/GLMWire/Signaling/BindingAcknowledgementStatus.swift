/// The Status field of a (Proxy) Binding Acknowledgement.
///
/// Values below 128 accept the update; 128 and above refuse it (RFC 6275 §6.1.8).
/// Numbers from RFC 6275 §6.1.8, RFC 5213 §8.9, RFC 5844 §3.2.4 and RFC 5845 §3.
public struct BindingAcknowledgementStatus: Hashable, Sendable, RawRepresentable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let accepted = Self(rawValue: 0)
    public static let greKeyNotRequired = Self(rawValue: 2)
    public static let greTLVHeaderNotSupported = Self(rawValue: 3)
    public static let unspecified = Self(rawValue: 128)
    public static let administrativelyProhibited = Self(rawValue: 129)
    public static let insufficientResources = Self(rawValue: 130)
    public static let sequenceNumberOutOfWindow = Self(rawValue: 135)
    public static let authenticationFailed = Self(rawValue: 146)
    public static let proxyRegistrationNotEnabled = Self(rawValue: 152)
    public static let notLMAForThisMobileNode = Self(rawValue: 153)
    public static let magNotAuthorizedForProxyRegistration = Self(rawValue: 154)
    public static let notAuthorizedForHomeNetworkPrefix = Self(rawValue: 155)
    public static let timestampMismatch = Self(rawValue: 156)
    public static let timestampLowerThanPreviouslyAccepted = Self(rawValue: 157)
    public static let missingHomeNetworkPrefix = Self(rawValue: 158)
    public static let bceProxyPrefixSetMismatch = Self(rawValue: 159)
    public static let missingMobileNodeIdentifier = Self(rawValue: 160)
    public static let missingHandoffIndicator = Self(rawValue: 161)
    public static let missingAccessTechnologyType = Self(rawValue: 162)
    public static let greKeyRequired = Self(rawValue: 163)
    public static let notAuthorizedForIPv4Mobility = Self(rawValue: 170)
    public static let notAuthorizedForIPv4HomeAddress = Self(rawValue: 171)
    public static let notAuthorizedForIPv6Mobility = Self(rawValue: 172)
    public static let multipleIPv4HomeAddressesNotSupported = Self(rawValue: 173)

    /// Whether the update was accepted (Status < 128).
    public var isAccepted: Bool { rawValue < 128 }

    private static let names: [UInt8: String] = [
        0: "accepted", 2: "gre-key-not-required", 3: "gre-tlv-header-not-supported",
        128: "unspecified", 129: "administratively-prohibited", 130: "insufficient-resources",
        135: "sequence-number-out-of-window", 146: "authentication-failed",
        152: "proxy-registration-not-enabled", 153: "not-lma-for-this-mobile-node",
        154: "mag-not-authorized-for-proxy-registration", 155: "not-authorized-for-home-network-prefix",
        156: "timestamp-mismatch", 157: "timestamp-lower-than-previously-accepted",
        158: "missing-home-network-prefix", 159: "bce-prefix-set-mismatch",
        160: "missing-mobile-node-identifier", 161: "missing-handoff-indicator",
        162: "missing-access-technology-type", 163: "gre-key-required",
        170: "not-authorized-for-ipv4-mobility", 171: "not-authorized-for-ipv4-home-address",
        172: "not-authorized-for-ipv6-mobility", 173: "multiple-ipv4-home-addresses-not-supported",
    ]

    /// A short name for logs and JSON, or nil for a number this profile does not name.
    public var name: String? { Self.names[rawValue] }
}

extension BindingAcknowledgementStatus: CustomStringConvertible {
    public var description: String { name.map { "\(rawValue) (\($0))" } ?? "\(rawValue)" }
}
