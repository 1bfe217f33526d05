/// An ARP (RFC 826) or Reverse ARP (RFC 903) packet for Ethernet and IPv4: the
/// 28 octets after the Ethernet header, EtherType 0x0806 or 0x8035.
///
/// Besides ordinary requests and replies this covers the two announcements the
/// agents watch for: a hypervisor's self-announce after a migration (QEMU, ESXi: a
/// reverse request from the VM's MAC about itself, ``isSelfAnnounce``) and a guest's
/// gratuitous ARP (``isGratuitous``).
public struct ARPPacket: Hashable, Sendable {
    /// The ARP operation code.
    public struct Operation: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let request = Operation(rawValue: 1)
        public static let reply = Operation(rawValue: 2)
        /// RARP "reverse request" (RFC 903); what QEMU's announce sends.
        public static let reverseRequest = Operation(rawValue: 3)
        /// RARP "reverse reply" (RFC 903).
        public static let reverseReply = Operation(rawValue: 4)

        public var description: String {
            switch self {
            case .request: "request"
            case .reply: "reply"
            case .reverseRequest: "reverse-request"
            case .reverseReply: "reverse-reply"
            default: "operation(\(rawValue))"
            }
        }
    }

    /// Octets of an Ethernet/IPv4 ARP packet.
    public static let length = 28
    /// ARP hardware type 1, Ethernet.
    public static let ethernetHardwareType: UInt16 = 1

    /// The hardware type (1 for Ethernet); any type with 6-octet addresses is read.
    public var hardwareType: UInt16
    /// The protocol type; always IPv4 here.
    public var protocolType: EtherType
    public var operation: Operation
    public var senderMAC: MACAddress
    public var senderIPv4: IPv4Address
    public var targetMAC: MACAddress
    public var targetIPv4: IPv4Address

    public init(operation: Operation, senderMAC: MACAddress, senderIPv4: IPv4Address,
                targetMAC: MACAddress, targetIPv4: IPv4Address,
                hardwareType: UInt16 = ARPPacket.ethernetHardwareType) {
        self.hardwareType = hardwareType
        self.protocolType = .ipv4
        self.operation = operation
        self.senderMAC = senderMAC
        self.senderIPv4 = senderIPv4
        self.targetMAC = targetMAC
        self.targetIPv4 = targetIPv4
    }

    /// Reads the packet from the start of `bytes`; octets after the first 28 (an
    /// Ethernet frame's padding) are ignored.
    ///
    /// Throws ``FrameError/Code/truncated`` below 28 octets and
    /// ``FrameError/Code/unsupportedARPFormat`` unless the protocol type is IPv4 with
    /// 4-octet addresses and hardware addresses are 6 octets.
    public init(parsing bytes: ArraySlice<UInt8>) throws(FrameError) {
        guard bytes.count >= Self.length else {
            throw .truncated("ARP packet", need: Self.length, have: bytes.count)
        }
        let protocolType = EtherType(rawValue: bytes.frameU16(2))
        let hardwareLength = bytes.frameU8(4)
        let protocolLength = bytes.frameU8(5)
        guard protocolType == .ipv4, hardwareLength == 6, protocolLength == 4 else {
            throw FrameError(.unsupportedARPFormat,
                             "protocol type \(protocolType), address lengths \(hardwareLength)/\(protocolLength)")
        }
        self.hardwareType = bytes.frameU16(0)
        self.protocolType = protocolType
        self.operation = Operation(rawValue: bytes.frameU16(6))
        self.senderMAC = bytes.frameMAC(8)
        self.senderIPv4 = bytes.frameIPv4(14)
        self.targetMAC = bytes.frameMAC(18)
        self.targetIPv4 = bytes.frameIPv4(24)
    }

    /// Reads the packet from a whole array.
    public init(parsing bytes: [UInt8]) throws(FrameError) {
        try self.init(parsing: bytes[...])
    }

    /// The packet's 28 octets.
    public func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.length)
        out.appendFrameU16(hardwareType)
        out.appendFrameU16(protocolType.rawValue)
        out.append(6)
        out.append(4)
        out.appendFrameU16(operation.rawValue)
        out.appendFrameMAC(senderMAC)
        out.appendFrameIPv4(senderIPv4)
        out.appendFrameMAC(targetMAC)
        out.appendFrameIPv4(targetIPv4)
        return out
    }

    /// The EtherType this packet travels under: 0x8035 for the reverse operations, 0x0806 otherwise.
    public var etherType: EtherType {
        isReverse ? .reverseARP : .arp
    }

    /// Whether the operation is RARP's (reverse request or reverse reply).
    public var isReverse: Bool {
        operation == .reverseRequest || operation == .reverseReply
    }

    /// A hypervisor's announce of a VM: a reverse request whose sender and target
    /// MAC are both the VM's (QEMU's net/announce.c, VMware ESXi after vMotion).
    public var isSelfAnnounce: Bool {
        operation == .reverseRequest && senderMAC == targetMAC
    }

    /// A request or reply that announces the sender's own, non-zero address: sender
    /// and target IPv4 are the same (RFC 5227 §3 announcement, or a gratuitous reply).
    public var isGratuitous: Bool {
        (operation == .request || operation == .reply)
            && senderIPv4 == targetIPv4 && senderIPv4 != .any
    }

    /// An RFC 5227 probe: a request with sender IPv4 0.0.0.0.
    public var isProbe: Bool {
        operation == .request && senderIPv4 == .any
    }
}

extension ARPPacket {
    /// A request asking who has `targetIPv4`.
    public static func request(senderMAC: MACAddress, senderIPv4: IPv4Address, targetIPv4: IPv4Address) -> ARPPacket {
        ARPPacket(operation: .request, senderMAC: senderMAC, senderIPv4: senderIPv4,
                  targetMAC: .zero, targetIPv4: targetIPv4)
    }

    /// A reply telling `target` that `senderIPv4` is at `senderMAC` (what a proxy-ARP answer says).
    public static func reply(senderMAC: MACAddress, senderIPv4: IPv4Address,
                             targetMAC: MACAddress, targetIPv4: IPv4Address) -> ARPPacket {
        ARPPacket(operation: .reply, senderMAC: senderMAC, senderIPv4: senderIPv4,
                  targetMAC: targetMAC, targetIPv4: targetIPv4)
    }

    /// A gratuitous ARP in the RFC 5227 announcement form: a request with sender and
    /// target IPv4 both `ipv4` and a zero target MAC, as Linux guests send.
    public static func gratuitous(mac: MACAddress, ipv4: IPv4Address) -> ARPPacket {
        ARPPacket(operation: .request, senderMAC: mac, senderIPv4: ipv4,
                  targetMAC: .zero, targetIPv4: ipv4)
    }

    /// QEMU's self-announce: a reverse request with sender and target MAC both `mac`
    /// and both IPv4 addresses zero.
    public static func selfAnnounce(mac: MACAddress) -> ARPPacket {
        ARPPacket(operation: .reverseRequest, senderMAC: mac, senderIPv4: .any,
                  targetMAC: mac, targetIPv4: .any)
    }
}
