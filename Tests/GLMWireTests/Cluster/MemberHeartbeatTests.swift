import Crypto
import GLMWire
import NIOCore
import Testing

@Suite("Member heartbeat")
struct MemberHeartbeatTests {
    /// The cluster's key: octets 00 01 .. 1f.
    static let key = SymmetricKey(data: [UInt8](0..<32))
    /// Another cluster's key: octets 20 21 .. 3f.
    static let otherKey = SymmetricKey(data: [UInt8](32..<64))

    static func sample(member: String = "ha-1", serving: Bool = true, storeReachable: Bool = false,
                       incarnation: UInt64 = 0x0123_4567_89ab_cdef, sequence: UInt64 = 42,
                       sentAt: UInt64 = 1_700_000_000_123, echo: UInt64 = 1_699_999_999_950) -> MemberHeartbeat {
        try! MemberHeartbeat(member: member, serving: serving, storeReachable: storeReachable,
                             incarnation: incarnation, sequence: sequence, sentAt: sentAt, echo: echo)
    }

    /// The sample's octets before the authenticator, laid out by hand from the table in
    /// `MemberHeartbeat`'s documentation.
    static let sampleCovered: [UInt8] = [
        0x47, 0x4c, 0x4d, 0x43,                          // magic GLMC
        0x01,                                            // version 1
        0x01,                                            // flags: serving
        0x00, 0x00,                                      // reserved
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,  // incarnation
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,  // sequence 42
        0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b,  // sent at 1 700 000 000 123 ms
        0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x67, 0xce,  // echo 1 699 999 999 950 ms
        0x04, 0x68, 0x61, 0x2d, 0x31,                    // name length 4, "ha-1"
    ]

    /// The sample's authenticator under ``key``, computed outside this code base with
    /// Python's `hmac` module over ``sampleCovered``.
    static let sampleAuthenticator = [UInt8](hexString: "1c4e90b8fa3fb35834511af087d4c380")!

    /// `covered` followed by its authenticator under `key`, as a sender holding the key
    /// would send it, whatever `covered` holds.
    static func sealed(_ covered: [UInt8], key: SymmetricKey = key) -> [UInt8] {
        let code = HMAC<SHA256>.authenticationCode(for: covered, using: key)
        return covered + code.withUnsafeBytes { Array($0.prefix(16)) }
    }

    func code(_ bytes: [UInt8], key: SymmetricKey = key) -> MemberHeartbeatError.Code? {
        do { _ = try MemberHeartbeat(decoding: bytes, key: key); return nil } catch { return error.code }
    }

    @Test("every combination of flags round-trips", arguments: [false, true], [false, true])
    func roundTrip(serving: Bool, storeReachable: Bool) throws {
        let heartbeat = Self.sample(serving: serving, storeReachable: storeReachable)
        let bytes = heartbeat.encoded(key: Self.key)
        #expect(bytes[5] == (serving ? 0x01 : 0) | (storeReachable ? 0x02 : 0))
        let decoded = try MemberHeartbeat(decoding: bytes, key: Self.key)
        #expect(decoded == heartbeat)
        #expect(decoded.serving == serving)
        #expect(decoded.storeReachable == storeReachable)
    }

    @Test("the octets are those of the documented layout")
    func layout() {
        let bytes = Self.sample().encoded(key: Self.key)
        let code = HMAC<SHA256>.authenticationCode(for: Self.sampleCovered, using: Self.key)
        let expected = Self.sampleCovered + code.withUnsafeBytes { Array($0.prefix(16)) }
        #expect(bytes == expected)
        #expect(bytes == Self.sampleCovered + Self.sampleAuthenticator)
        #expect(bytes.count == 61)
    }

    @Test("ByteBuffer in and out: the writer counts its octets, the reader takes the readable ones")
    func byteBuffer() throws {
        let heartbeat = Self.sample()
        var buffer = ByteBuffer(bytes: [0xee, 0xee])
        let written = heartbeat.encode(key: Self.key, into: &buffer)
        #expect(written == 61)
        #expect(Array(buffer.readableBytesView.dropFirst(2)) == heartbeat.encoded(key: Self.key))
        buffer.moveReaderIndex(forwardBy: 2)
        #expect(try MemberHeartbeat(decoding: buffer, key: Self.key) == heartbeat)
    }

    @Test("a name of 63 octets fits the maximum length, and one of 1 the minimum")
    func nameLimits() throws {
        let longest = Self.sample(member: String(repeating: "a", count: 63))
        let bytes = longest.encoded(key: Self.key)
        #expect(bytes.count == MemberHeartbeat.maximumLength)
        #expect(MemberHeartbeat.maximumLength == 120)
        #expect(try MemberHeartbeat(decoding: bytes, key: Self.key) == longest)
        let shortest = Self.sample(member: "a")
        #expect(shortest.encoded(key: Self.key).count == MemberHeartbeat.minimumLength)
        let everyCharacter = Self.sample(member: "AZaz09-_.")
        #expect(try MemberHeartbeat(decoding: everyCharacter.encoded(key: Self.key), key: Self.key) == everyCharacter)
    }

    @Test("names that could not go on the wire are refused when building a heartbeat")
    func buildRefusals() {
        func refusal(_ name: String) -> MemberHeartbeatError.Code? {
            do { try MemberHeartbeat.validateMemberName(name); return nil } catch { return error.code }
        }
        #expect(refusal("") == .invalidNameLength)
        #expect(refusal(String(repeating: "a", count: 64)) == .invalidNameLength)
        #expect(refusal("ha 1") == .invalidNameCharacter)
        #expect(refusal("hä") == .invalidNameCharacter)
        #expect(refusal("ha-1") == nil)
        #expect(throws: MemberHeartbeatError.self) {
            try MemberHeartbeat(member: "ha/1", serving: false, storeReachable: false, incarnation: 1, sequence: 1, sentAt: 1)
        }
    }

    @Test("any altered authenticator octet, or another key, is a mismatch")
    func authenticator() {
        let bytes = Self.sample().encoded(key: Self.key)
        for index in bytes.count - 16..<bytes.count {
            var tampered = bytes
            tampered[index] ^= 0x01
            #expect(code(tampered) == .authenticatorMismatch, "octet \(index)")
        }
        var altered = bytes
        altered[23] ^= 0x01  // the sequence's last octet
        #expect(code(altered) == .authenticatorMismatch)
        #expect(code(bytes, key: Self.otherKey) == .authenticatorMismatch)
        #expect(code(Self.sample().encoded(key: Self.otherKey)) == .authenticatorMismatch)
    }

    @Test("a wrong magic, version 2 and nonzero reserved octets are refused, each for its reason")
    func header() {
        var magic = Self.sampleCovered
        magic[3] = 0x44  // GLMD
        #expect(code(Self.sealed(magic)) == .wrongMagic)
        var version = Self.sampleCovered
        version[4] = 2
        #expect(code(Self.sealed(version)) == .unsupportedVersion)
        for index in [6, 7] {
            var reserved = Self.sampleCovered
            reserved[index] = 0x80
            #expect(code(Self.sealed(reserved)) == .nonzeroReserved, "octet \(index)")
        }
    }

    @Test("name lengths 0 and 64 and names with other characters are refused")
    func names() {
        let fixed = Array(Self.sampleCovered.prefix(40))
        #expect(code(Self.sealed(fixed + [0])) == .invalidNameLength)
        #expect(code(Self.sealed(fixed + [64] + [UInt8](repeating: 0x61, count: 64))) == .invalidNameLength)
        #expect(code(Self.sealed(fixed + [63] + [UInt8](repeating: 0x61, count: 63))) == nil)
        for name: [UInt8] in [Array("ha 1".utf8), Array("ha/1".utf8), [0x68, 0x00], Array("hä".utf8), [0xff]] {
            #expect(code(Self.sealed(fixed + [UInt8(name.count)] + name)) == .invalidNameCharacter, "\(name.hexString)")
        }
    }

    @Test("one octet short is truncated, one octet more is trailing")
    func length() {
        let bytes = Self.sample().encoded(key: Self.key)
        #expect(code(Array(bytes.dropLast())) == .truncated)
        #expect(code(bytes + [0]) == .trailingBytes)
    }

    @Test("every truncated prefix is refused as truncated")
    func truncatedPrefixes() {
        let bytes = Self.sample().encoded(key: Self.key)
        for length in 0..<bytes.count {
            #expect(code(Array(bytes.prefix(length))) == .truncated, "prefix \(length)")
        }
    }

    @Test("flag bits other than serving and store reachable are ignored")
    func unknownFlags() throws {
        var covered = Self.sampleCovered
        covered[5] = 0xfc | 0x02  // store reachable and every unassigned bit
        let decoded = try MemberHeartbeat(decoding: Self.sealed(covered), key: Self.key)
        #expect(decoded == Self.sample(serving: false, storeReachable: true))
        covered[5] = 0xfc
        #expect(try MemberHeartbeat(decoding: Self.sealed(covered), key: Self.key)
                    == Self.sample(serving: false, storeReachable: false))
    }
}

extension MemberHeartbeatTests {
    @Suite("Replay guard")
    struct ReplayGuard {
        static let now: UInt64 = 1_700_000_000_000

        func beat(_ member: String = "ha-2", incarnation: UInt64 = 7, sequence: UInt64, sentAt: UInt64 = now) -> MemberHeartbeat {
            MemberHeartbeatTests.sample(member: member, incarnation: incarnation, sequence: sequence, sentAt: sentAt)
        }

        @Test("a later sequence is accepted, the same or an earlier one is a replay")
        func sequence() {
            var replayGuard = HeartbeatReplayGuard(window: 5000)
            #expect(replayGuard.admit(beat(sequence: 10), now: Self.now) == .accepted)
            #expect(replayGuard.admit(beat(sequence: 11, sentAt: Self.now + 100), now: Self.now + 100) == .accepted)
            #expect(replayGuard.admit(beat(sequence: 11, sentAt: Self.now + 100), now: Self.now + 150) == .replayed)
            #expect(replayGuard.admit(beat(sequence: 10), now: Self.now + 150) == .replayed)
            #expect(replayGuard.admit(beat(sequence: 13, sentAt: Self.now + 300), now: Self.now + 300) == .accepted)
            #expect(replayGuard.admit(beat(sequence: 12, sentAt: Self.now + 200), now: Self.now + 300) == .replayed,
                    "overtaken on the way")
        }

        @Test("sentAt at the window's edges is accepted, one millisecond past them is stale")
        func window() {
            var replayGuard = HeartbeatReplayGuard(window: 5000)
            #expect(replayGuard.admit(beat(sequence: 1, sentAt: Self.now - 5001), now: Self.now) == .stale)
            #expect(replayGuard.admit(beat(sequence: 1, sentAt: Self.now + 5001), now: Self.now) == .stale)
            #expect(replayGuard.admit(beat(sequence: 1, sentAt: Self.now - 5000), now: Self.now) == .accepted,
                    "a stale heartbeat leaves nothing behind")
            #expect(replayGuard.admit(beat(sequence: 2, sentAt: Self.now + 5000), now: Self.now) == .accepted)
            #expect(replayGuard.admit(beat(sequence: 3, sentAt: 0), now: Self.now) == .stale)
            #expect(replayGuard.admit(beat(sequence: 3, sentAt: .max), now: Self.now) == .stale)
        }

        @Test("a recorded heartbeat played back after the window, to a receiver that never saw it, is stale")
        func playedBackLater() {
            let recorded = beat(sequence: 1)
            var replayGuard = HeartbeatReplayGuard(window: 5000)
            #expect(replayGuard.admit(recorded, now: Self.now + 5001) == .stale)
            #expect(replayGuard.admit(recorded, now: Self.now + 4999) == .accepted)
        }

        @Test("a restart's new incarnation is accepted from sequence 0; the old one's heartbeats are replays")
        func restart() {
            var replayGuard = HeartbeatReplayGuard(window: 5000)
            #expect(replayGuard.admit(beat(incarnation: 7, sequence: 500, sentAt: Self.now), now: Self.now) == .accepted)
            #expect(replayGuard.admit(beat(incarnation: 99, sequence: 0, sentAt: Self.now + 800), now: Self.now + 800) == .accepted)
            #expect(replayGuard.admit(beat(incarnation: 99, sequence: 1, sentAt: Self.now + 900), now: Self.now + 900) == .accepted)
            #expect(replayGuard.admit(beat(incarnation: 7, sequence: 501, sentAt: Self.now + 50), now: Self.now + 900) == .replayed)
            #expect(replayGuard.admit(beat(incarnation: 7, sequence: 500, sentAt: Self.now), now: Self.now + 900) == .replayed)
            #expect(replayGuard.admit(beat(incarnation: 99, sequence: 1, sentAt: Self.now + 900), now: Self.now + 950) == .replayed)
        }

        @Test("a new incarnation no newer than the last accepted heartbeat is a replay")
        func incarnationNotNewer() {
            var replayGuard = HeartbeatReplayGuard(window: 5000)
            #expect(replayGuard.admit(beat(incarnation: 7, sequence: 1, sentAt: Self.now), now: Self.now) == .accepted)
            #expect(replayGuard.admit(beat(incarnation: 8, sequence: 1, sentAt: Self.now), now: Self.now) == .replayed)
            #expect(replayGuard.admit(beat(incarnation: 8, sequence: 1, sentAt: Self.now - 1), now: Self.now) == .replayed)
            #expect(replayGuard.admit(beat(incarnation: 8, sequence: 1, sentAt: Self.now + 1), now: Self.now) == .accepted)
        }

        @Test("members are tracked apart")
        func members() {
            var replayGuard = HeartbeatReplayGuard(window: 5000)
            #expect(replayGuard.admit(beat("ha-1", sequence: 10), now: Self.now) == .accepted)
            #expect(replayGuard.admit(beat("ha-2", sequence: 3), now: Self.now) == .accepted)
            #expect(replayGuard.admit(beat("ha-2", sequence: 3), now: Self.now) == .replayed)
            #expect(replayGuard.admit(beat("ha-1", sequence: 11), now: Self.now) == .accepted)
        }
    }
}
