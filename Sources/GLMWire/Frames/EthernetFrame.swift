/// An Ethernet II frame as captured (no preamble, no FCS): destination and source
/// MAC, at most one VLAN tag, the EtherType and the payload.
///
/// The payload runs to the end of the captured bytes, so it includes any padding
/// that brought a short frame up to 60 octets; the layer above cuts it by its own
/// length field. Parsing does not copy: ``payload`` shares the input's storage.
public struct EthernetFrame: Hashable, Sendable {
    /// Destination, source and EtherType: 14 octets.
    public static let headerLength = 14
    /// Octets a VLAN tag adds to the header.
    public static let vlanTagLength = 4
    /// The smallest frame on the wire, without its 4-octet FCS.
    public static let minimumLength = 60

    public var destination: MACAddress
    public var source: MACAddress
    /// The outermost VLAN tag, if the frame carries one; a second tag stays in the payload.
    public var vlan: VLANTag?
    /// The type of the payload (after the VLAN tag, if any).
    public var etherType: EtherType
    public var payload: ArraySlice<UInt8>

    public init(destination: MACAddress, source: MACAddress, etherType: EtherType,
                vlan: VLANTag? = nil, payload: some Sequence<UInt8>) {
        self.destination = destination
        self.source = source
        self.etherType = etherType
        self.vlan = vlan
        self.payload = ArraySlice(payload)
    }

    /// Reads a frame; throws ``FrameError/Code/truncated`` if the header (with its
    /// VLAN tag, when the EtherType announces one) is cut short.
    public init(parsing frame: ArraySlice<UInt8>) throws(FrameError) {
        guard frame.count >= Self.headerLength else {
            throw .truncated("Ethernet header", need: Self.headerLength, have: frame.count)
        }
        destination = frame.frameMAC(0)
        source = frame.frameMAC(6)
        var type = EtherType(rawValue: frame.frameU16(12))
        var headerLength = Self.headerLength
        if type.isVLANTag {
            headerLength += Self.vlanTagLength
            guard frame.count >= headerLength else {
                throw .truncated("Ethernet header with VLAN tag", need: headerLength, have: frame.count)
            }
            vlan = VLANTag(tagProtocol: type, controlInformation: frame.frameU16(14))
            type = EtherType(rawValue: frame.frameU16(16))
        } else {
            vlan = nil
        }
        etherType = type
        payload = frame.frameSlice(from: headerLength)
    }

    /// Reads a frame from a whole array.
    public init(parsing frame: [UInt8]) throws(FrameError) {
        try self.init(parsing: frame[...])
    }

    /// The header's length: 14, or 18 with a VLAN tag.
    public var headerLength: Int {
        vlan == nil ? Self.headerLength : Self.headerLength + Self.vlanTagLength
    }

    /// The frame's octets; with `padded`, zero octets are appended up to 60.
    public func serialized(padded: Bool = false) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(max(headerLength + payload.count, padded ? Self.minimumLength : 0))
        out.appendFrameMAC(destination)
        out.appendFrameMAC(source)
        if let vlan {
            out.appendFrameU16(vlan.tagProtocol.rawValue)
            out.appendFrameU16(vlan.controlInformation)
        }
        out.appendFrameU16(etherType.rawValue)
        out.append(contentsOf: payload)
        if padded, out.count < Self.minimumLength {
            out.append(contentsOf: repeatElement(0, count: Self.minimumLength - out.count))
        }
        return out
    }
}
