/// The Handoff Indicator option's value (RFC 5213 §8.4): why the MAG is registering.
public struct HandoffIndicator: Hashable, Sendable, RawRepresentable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Attachment over a new interface: a VM's first attach.
    public static let attachmentOverNewInterface = Self(rawValue: 1)
    public static let handoffBetweenInterfaces = Self(rawValue: 2)
    /// Handoff between MAGs for the same interface: a VM moved between hosts.
    public static let handoffBetweenMAGs = Self(rawValue: 3)
    public static let handoffStateUnknown = Self(rawValue: 4)
    /// The same interface at the same MAG: a refresh.
    public static let handoffStateNotChanged = Self(rawValue: 5)
}

/// The Access Technology Type option's value (RFC 5213 §8.5).
public struct AccessTechnologyType: Hashable, Sendable, RawRepresentable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A virtual interface: what a VM's NIC is.
    public static let virtual = Self(rawValue: 1)
    public static let ppp = Self(rawValue: 2)
    public static let ieee8023 = Self(rawValue: 3)
    public static let ieee80211 = Self(rawValue: 4)
}
