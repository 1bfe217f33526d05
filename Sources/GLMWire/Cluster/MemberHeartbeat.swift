import Crypto
import NIOCore

/// What one home agent of a cluster tells its peers, over UDP 5438, again and again:
/// who it is, whether it serves the cluster's service address, and whether it reaches
/// etcd. Not a Mobility Header: it has its own magic and version.
///
/// Layout, in network byte order:
///
/// | Offset | Octets | Field |
/// |-------:|-------:|-------|
/// | 0 | 4 | Magic, `GLMC` (0x47 0x4c 0x4d 0x43) |
/// | 4 | 1 | Version, 1 |
/// | 5 | 1 | Flags: 0x01 serving, 0x02 store reachable; other bits 0 on send, ignored on receipt |
/// | 6 | 2 | Reserved, 0 |
/// | 8 | 8 | Incarnation: a random number the sender picks at each start |
/// | 16 | 8 | Sequence: one more with every heartbeat of one incarnation |
/// | 24 | 8 | Sent at: the sender's wall clock, milliseconds since 1970 |
/// | 32 | 8 | Echo: the Sent at of the latest heartbeat the sender accepted from the receiver, 0 for none |
/// | 40 | 1 | Name length N, 1...63 |
/// | 41 | N | Member name: ASCII letters, digits, `-`, `_`, `.` (so its UTF-8 is ASCII) |
/// | 41 + N | 16 | Authenticator: HMAC-SHA-256 over octets 0 ..< 41 + N, keyed by the cluster's shared key, its first 16 octets |
///
/// The echo tells the receiver, in its own clock, when it was last heard: an owner cut off
/// from etcd serves on only while its peers echo its recent heartbeats.
///
/// A heartbeat is 58 to 120 octets (``maximumLength``). The authenticator says that a
/// holder of the key sent it, not when: ``HeartbeatReplayGuard`` refuses repeats and
/// old heartbeats.
public struct MemberHeartbeat: Hashable, Sendable {
    /// UDP port of member heartbeats.
    public static let port: UInt16 = 5438
    /// `GLMC`.
    public static let magic: [UInt8] = [0x47, 0x4c, 0x4d, 0x43]
    /// The only version this code sends and accepts.
    public static let version: UInt8 = 1
    /// The longest member name, in octets.
    public static let maximumNameLength = 63
    /// Octets of HMAC-SHA-256 carried: the first 128 bits.
    public static let authenticatorLength = 16
    /// Octets from the magic through the name length.
    static let fixedLength = 41
    /// A heartbeat with a one-octet name: 58 octets.
    public static let minimumLength = fixedLength + 1 + authenticatorLength
    /// A heartbeat with a 63-octet name: 120 octets.
    public static let maximumLength = fixedLength + maximumNameLength + authenticatorLength

    static let servingFlag: UInt8 = 0x01
    static let storeReachableFlag: UInt8 = 0x02

    /// The sender's member name, as the cluster's configuration and etcd's keys name it.
    public private(set) var member: String
    /// The sender serves the cluster's service address now.
    public var serving: Bool
    /// The sender renewed its etcd lease within its serve window.
    public var storeReachable: Bool
    /// A random number the sender picked when it started: a new one says it restarted.
    public var incarnation: UInt64
    /// One more with every heartbeat of one incarnation.
    public var sequence: UInt64
    /// The sender's wall clock when it sent this, milliseconds since 1970.
    public var sentAt: UInt64
    /// The ``sentAt`` of the latest heartbeat the sender accepted from the receiver (in
    /// the receiver's clock), 0 when it accepted none.
    public var echo: UInt64

    /// Creates a heartbeat; throws `.invalidNameLength` or `.invalidNameCharacter` when
    /// `member` could not go on the wire (see ``validateMemberName(_:)``).
    public init(member: String, serving: Bool, storeReachable: Bool,
                incarnation: UInt64, sequence: UInt64, sentAt: UInt64, echo: UInt64 = 0) throws(MemberHeartbeatError) {
        try Self.validateMemberName(member)
        self.echo = echo
        self.member = member
        self.serving = serving
        self.storeReachable = storeReachable
        self.incarnation = incarnation
        self.sequence = sequence
        self.sentAt = sentAt
    }

    /// Checks that `name` can name a member: 1 to 63 octets of ASCII letters, digits,
    /// `-`, `_` and `.`. A configuration can check its member names with this.
    public static func validateMemberName(_ name: String) throws(MemberHeartbeatError) {
        try validateName(Array(name.utf8))
    }

    private static func validateName(_ octets: [UInt8]) throws(MemberHeartbeatError) {
        guard (1...maximumNameLength).contains(octets.count) else {
            throw MemberHeartbeatError(.invalidNameLength, "member name of \(octets.count) octets, expected 1 to \(maximumNameLength)")
        }
        if let index = octets.firstIndex(where: { !isNameOctet($0) }) {
            throw MemberHeartbeatError(.invalidNameCharacter,
                                       "member name octet \(index) is 0x\([octets[index]].hexString), not an ASCII letter, digit, '-', '_' or '.'")
        }
    }

    private static func isNameOctet(_ octet: UInt8) -> Bool {
        switch octet {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    // MARK: Encoding

    /// The heartbeat's octets, authenticated with the cluster's `key`.
    public func encoded(key: SymmetricKey) -> [UInt8] {
        let name = Array(member.utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.fixedLength + name.count + Self.authenticatorLength)
        bytes += Self.magic
        bytes.append(Self.version)
        bytes.append((serving ? Self.servingFlag : 0) | (storeReachable ? Self.storeReachableFlag : 0))
        bytes += [0, 0]
        for value in [incarnation, sequence, sentAt, echo] {
            withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
        }
        bytes.append(UInt8(name.count))
        bytes += name
        bytes += bytes.withUnsafeBytes { Self.authenticator(over: $0, key: key) }
        return bytes
    }

    /// Writes the heartbeat, authenticated with `key`, at the writer index of `buffer`
    /// and returns the number of octets written.
    @discardableResult
    public func encode(key: SymmetricKey, into buffer: inout ByteBuffer) -> Int {
        buffer.writeBytes(encoded(key: key))
    }

    /// The first ``authenticatorLength`` octets of HMAC-SHA-256 over `covered`.
    private static func authenticator(over covered: UnsafeRawBufferPointer, key: SymmetricKey) -> [UInt8] {
        let code = HMAC<SHA256>.authenticationCode(for: covered, using: key)
        return code.withUnsafeBytes { Array($0.prefix(authenticatorLength)) }
    }

    // MARK: Decoding

    /// Decodes the readable bytes of `buffer`, which must hold exactly one heartbeat
    /// authenticated with `key`.
    public init(decoding buffer: ByteBuffer, key: SymmetricKey) throws(MemberHeartbeatError) {
        try self.init(decoding: buffer.readableBytesView, key: key)
    }

    /// Decodes `bytes`, which must hold exactly one heartbeat authenticated with `key`.
    ///
    /// The framing is checked first (length, magic, version, name length), then the
    /// authenticator, in time that does not depend on where it differs, and only then
    /// the fields it covers (reserved octets, name characters): a payload that a holder
    /// of the key did not send is refused as `.authenticatorMismatch` whatever it holds.
    /// Unknown flag bits are ignored.
    public init(decoding bytes: some Collection<UInt8>, key: SymmetricKey) throws(MemberHeartbeatError) {
        let result = bytes.withContiguousStorageIfAvailable { storage in
            Result { () throws(MemberHeartbeatError) in try Self.decode(WireBytes(raw: UnsafeRawBufferPointer(storage)), key: key) }
        } ?? Array(bytes).withUnsafeBytes { raw in
            Result { () throws(MemberHeartbeatError) in try Self.decode(WireBytes(raw: raw), key: key) }
        }
        self = try result.get()
    }

    private static func decode(_ bytes: WireBytes, key: SymmetricKey) throws(MemberHeartbeatError) -> MemberHeartbeat {
        guard bytes.count >= fixedLength else {
            throw MemberHeartbeatError(.truncated, "\(bytes.count) octets, the fixed fields need \(fixedLength)")
        }
        let magic = bytes.bytes(0..<4)
        guard magic == Self.magic else {
            throw MemberHeartbeatError(.wrongMagic, "magic \(magic.hexString), expected \(Self.magic.hexString) (GLMC)")
        }
        let version = bytes.u8(4)
        guard version == Self.version else {
            throw MemberHeartbeatError(.unsupportedVersion, "version \(version), expected \(Self.version)")
        }
        let nameLength = Int(bytes.u8(40))
        guard (1...maximumNameLength).contains(nameLength) else {
            throw MemberHeartbeatError(.invalidNameLength, "name length \(nameLength), expected 1 to \(maximumNameLength)")
        }
        let covered = fixedLength + nameLength
        let length = covered + authenticatorLength
        guard bytes.count >= length else {
            throw MemberHeartbeatError(.truncated, "name length \(nameLength) states \(length) octets, \(bytes.count) received")
        }
        guard bytes.count == length else {
            throw MemberHeartbeatError(.trailingBytes, "\(bytes.count - length) octets after the \(length) that name length \(nameLength) states")
        }
        let expected = authenticator(over: UnsafeRawBufferPointer(rebasing: bytes.raw[0..<covered]), key: key)
        guard constantTimeEqual(expected, bytes.bytes(covered..<length)) else {
            throw MemberHeartbeatError(.authenticatorMismatch, "the authenticator is not the one the cluster's key gives")
        }
        let reserved = bytes.u16(6)
        guard reserved == 0 else {
            throw MemberHeartbeatError(.nonzeroReserved, "reserved octets hold 0x\(String(reserved, radix: 16)), expected 0")
        }
        let name = bytes.bytes(fixedLength..<covered)
        try validateName(name)
        let flags = bytes.u8(5)
        return MemberHeartbeat(
            validatedMember: String(decoding: name, as: UTF8.self),
            serving: flags & servingFlag != 0,
            storeReachable: flags & storeReachableFlag != 0,
            incarnation: bytes.u64(8),
            sequence: bytes.u64(16),
            sentAt: bytes.u64(24),
            echo: bytes.u64(32))
    }

    private init(validatedMember member: String, serving: Bool, storeReachable: Bool,
                 incarnation: UInt64, sequence: UInt64, sentAt: UInt64, echo: UInt64) {
        self.echo = echo
        self.member = member
        self.serving = serving
        self.storeReachable = storeReachable
        self.incarnation = incarnation
        self.sequence = sequence
        self.sentAt = sentAt
    }
}
