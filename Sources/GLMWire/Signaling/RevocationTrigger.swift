/// Why a Binding Revocation Indication revokes a binding (RFC 5846 §5.1).
public struct RevocationTrigger: Hashable, Sendable, RawRepresentable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = Self(rawValue: 0)
    public static let administrativeReason = Self(rawValue: 1)
    public static let interMAGHandoverSameAccessType = Self(rawValue: 2)
    public static let interMAGHandoverDifferentAccessType = Self(rawValue: 3)
    public static let interMAGHandoverUnknown = Self(rawValue: 4)
    public static let userInitiatedSessionTermination = Self(rawValue: 5)
    public static let accessNetworkSessionTermination = Self(rawValue: 6)
    public static let possibleOutOfSyncBCEState = Self(rawValue: 7)

    private static let names: [UInt8: String] = [
        0: "unspecified", 1: "administrative", 2: "inter-mag-handover-same-access-type",
        3: "inter-mag-handover-different-access-type", 4: "inter-mag-handover-unknown",
        5: "user-initiated-session-termination", 6: "access-network-session-termination",
        7: "possible-out-of-sync-bce-state",
    ]

    /// A short name for logs and JSON, or nil for an unnamed number.
    public var name: String? { Self.names[rawValue] }
}

/// The Status of a Binding Revocation Acknowledgement (RFC 5846 §5.2).
public struct RevocationStatus: Hashable, Sendable, RawRepresentable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let success = Self(rawValue: 0)
    public static let partialSuccess = Self(rawValue: 1)
    public static let bindingDoesNotExist = Self(rawValue: 128)
    public static let ipv4HomeAddressOptionRequired = Self(rawValue: 129)
    public static let globalRevocationNotAuthorized = Self(rawValue: 130)
    public static let revokedMobileNodeIdentityRequired = Self(rawValue: 131)
    public static let mobileNodeAttached = Self(rawValue: 132)
    public static let triggerNotSupported = Self(rawValue: 133)
    public static let revocationFunctionNotSupported = Self(rawValue: 134)
    public static let proxyBindingRevocationNotSupported = Self(rawValue: 135)

    private static let names: [UInt8: String] = [
        0: "success", 1: "partial-success", 128: "binding-does-not-exist",
        129: "ipv4-home-address-option-required", 130: "global-revocation-not-authorized",
        131: "revoked-mobile-node-identity-required", 132: "mobile-node-attached",
        133: "trigger-not-supported", 134: "revocation-function-not-supported",
        135: "proxy-binding-revocation-not-supported",
    ]

    /// A short name for logs and JSON, or nil for an unnamed number.
    public var name: String? { Self.names[rawValue] }
}
