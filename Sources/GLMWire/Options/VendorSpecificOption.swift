/// The Vendor Specific Mobility Option, type 19 (RFC 5094 §3): a vendor's own data,
/// named by the vendor's SMI Network Management Private Enterprise Code and a sub-type.
/// Alignment 4n+2 (RFC 5094 §3); a receiver that does not know the vendor skips it.
///
/// GLM marks its make-before-break *prepare* registration with one (see
/// `Docs/protocol.md`, "Preparation"): vendor ``glmVendorID``, sub-type
/// ``prepareSubtype``, no data.
public struct VendorSpecificOption: Hashable, Sendable {
    /// The vendor's Private Enterprise Code.
    public var vendorID: UInt32
    public var subtype: UInt8
    public var data: [UInt8]

    public init(vendorID: UInt32, subtype: UInt8, data: [UInt8] = []) {
        self.vendorID = vendorID
        self.subtype = subtype
        self.data = data
    }

    /// The Private Enterprise Code GLM's options carry: 32473, which RFC 5612 reserves
    /// for documentation and examples, until a code of GLM's own is registered.
    public static let glmVendorID: UInt32 = 32473
    /// GLM's sub-type for a make-before-break preparation.
    public static let prepareSubtype: UInt8 = 1
    /// The option that marks a PBU (and its PBA) as a preparation.
    public static let prepare = VendorSpecificOption(vendorID: glmVendorID, subtype: prepareSubtype)

    /// Vendor ID and Sub-type: the octets before the data.
    static let fixedLength = 5
    /// At most 255 octets of option data fit the Length field.
    public static let maximumDataLength = 255 - fixedLength
}
