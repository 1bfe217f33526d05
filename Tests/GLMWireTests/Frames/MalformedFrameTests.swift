import GLMWire
import Testing

extension Frames {
    @Suite("Frames: malformed input and limits")
    struct MalformedFrameTests {
        static let header = Frames.hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7")

        /// The textbook header with `change` applied and its checksum recomputed.
        static func packet(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = header + [UInt8](repeating: 0, count: 0x73 - 20)
            change(&bytes)
            bytes[10] = 0
            bytes[11] = 0
            let sum = InternetChecksum.compute(bytes[0..<(Int(bytes[0] & 0x0f) * 4)])
            bytes[10] = UInt8(sum >> 8)
            bytes[11] = UInt8(truncatingIfNeeded: sum)
            return bytes
        }

        @Test func versionOtherThanFourIsNotIPv4() {
            let v6 = Self.packet { $0[0] = 0x65 }
            Frames.expectFrameError(.notIPv4) { _ = try IPv4Packet(parsing: v6) }
            Frames.expectFrameError(.notIPv4) { _ = try LinkLayerPacket(linkType: .ipv4, frame: v6) }
        }

        @Test(arguments: 0...4)
        func ihlBelowFiveIsABadHeaderLength(ihl: UInt8) {
            let bytes = Self.packet { $0[0] = 0x40 | ihl }
            Frames.expectFrameError(.badHeaderLength) { _ = try IPv4Packet(parsing: bytes, verifyingChecksum: false) }
        }

        @Test func ihlBeyondTheBytesIsTruncated() {
            let bytes = Array(Self.packet { $0[0] = 0x4f }.prefix(40))
            Frames.expectFrameError(.truncated) { _ = try IPv4Packet(parsing: bytes, verifyingChecksum: false) }
        }

        @Test func totalLengthAtAndPastItsLimits() throws {
            // Total Length equal to the header: an empty payload is fine.
            let empty = Self.packet { $0[2] = 0; $0[3] = 20 }
            #expect(try IPv4Packet(parsing: empty).payload.isEmpty)
            // One below the header length.
            let short = Self.packet { $0[2] = 0; $0[3] = 19 }
            Frames.expectFrameError(.totalLengthMismatch) { _ = try IPv4Packet(parsing: short) }
            // Exactly the bytes present, and one past them.
            let exact = Self.packet { _ in }
            #expect(try IPv4Packet(parsing: exact).totalLength == exact.count)
            let long = Self.packet { $0[3] += 1 }
            Frames.expectFrameError(.totalLengthMismatch) { _ = try IPv4Packet(parsing: long) }
        }

        @Test func badHeaderChecksumIsRefusedUnlessAskedNotTo() throws {
            var bytes = Self.packet { $0[9] = 253 }  // an experimental protocol: no UDP to decode
            bytes[11] ^= 0x01
            Frames.expectFrameError(.badHeaderChecksum) { _ = try IPv4Packet(parsing: bytes) }
            let lenient = try IPv4Packet(parsing: bytes, verifyingChecksum: false)
            #expect(!lenient.hasValidHeaderChecksum)
            let ethernet = EthernetFrame(destination: Frames.bridgeMAC, source: Frames.vmMAC, etherType: .ipv4,
                                         payload: bytes).serialized()
            Frames.expectFrameError(.badHeaderChecksum) { _ = try LinkLayerPacket(linkType: .ethernet, frame: ethernet) }
            #expect(try LinkLayerPacket(linkType: .ethernet, frame: ethernet, verifyingIPv4Checksum: false).ipv4 != nil)
        }

        @Test func udpLengthBelowEightOrPastTheBytes() throws {
            let good = Array(try IPv4Packet(parsing: try Frames.signalingPacket()).payload)
            for length in [0, 7] {
                var bytes = good
                bytes[4] = 0
                bytes[5] = UInt8(length)
                Frames.expectFrameError(.badUDPLength) { _ = try UDPDatagram(parsing: bytes) }
            }
            var long = good
            long[5] += 1
            Frames.expectFrameError(.badUDPLength) { _ = try UDPDatagram(parsing: long) }
            // Length 8 is an empty datagram; a shorter Length than the bytes leaves the rest out.
            var empty = good
            empty[4] = 0
            empty[5] = 8
            #expect(try UDPDatagram(parsing: empty).payload.isEmpty)
        }

        @Test func udpInsideIPv4WithABadLengthIsRefused() throws {
            var ip = try IPv4Packet(parsing: try Frames.signalingPacket())
            var udp = Array(ip.payload)
            udp[4] = 0xff
            ip.payload = udp[...]
            Frames.expectFrameError(.badUDPLength) {
                _ = try LinkLayerPacket(linkType: .rawIP, frame: try ip.serialized())
            }
        }

        @Test func arpForOtherAddressFormatsIsUnsupported() {
            let base = ARPPacket.gratuitous(mac: Frames.vmMAC, ipv4: Frames.vmIPv4).serialized()
            for (offset, value) in [(2, UInt8(0x86)), (4, 8), (5, 16)] {
                var bytes = base
                bytes[offset] = value
                Frames.expectFrameError(.unsupportedARPFormat) { _ = try ARPPacket(parsing: bytes) }
            }
        }

        @Test(arguments: [0, 2, 105, 127, 0xffff_ffff] as [UInt32])
        func unsupportedLinkTypes(raw: UInt32) throws {
            let linkType = LinkType(rawValue: raw)
            #expect(!linkType.isSupported)
            Frames.expectFrameError(.unsupportedLinkType) {
                _ = try LinkLayerPacket(linkType: linkType, frame: try Frames.signalingFrame())
            }
        }

        @Test func udpPayloadAtTheLimitAndOnePast() throws {
            let limit = UDPDatagram.maximumPayloadLength
            #expect(limit == 65_507)
            let atLimit = try FrameBuilder.ipv4UDP(source: Frames.siteIPv4, destination: Frames.homeIPv4,
                                                   sourcePort: 1, destinationPort: 2,
                                                   payload: [UInt8](repeating: 0x5a, count: limit))
            #expect(atLimit.count == 65_535)
            let parsed = try LinkLayerPacket(linkType: .rawIP, frame: atLimit)
            #expect(parsed.udp?.payload.count == limit)
            Frames.expectFrameError(.payloadTooLarge) {
                _ = try FrameBuilder.ipv4UDP(source: Frames.siteIPv4, destination: Frames.homeIPv4,
                                             sourcePort: 1, destinationPort: 2,
                                             payload: [UInt8](repeating: 0x5a, count: limit + 1))
            }
        }

        @Test func ipv4PayloadAtTheLimitAndOnePast() throws {
            let options = [UInt8](repeating: 1, count: 40)
            let limit = 65_535 - 60
            let packet = try IPv4Packet(source: Frames.siteIPv4, destination: Frames.homeIPv4, protocolNumber: .tcp,
                                        payload: [UInt8](repeating: 0, count: limit), options: options)
            #expect(try packet.serialized().count == 65_535)
            Frames.expectFrameError(.payloadTooLarge) {
                _ = try IPv4Packet(source: Frames.siteIPv4, destination: Frames.homeIPv4, protocolNumber: .tcp,
                                   payload: [UInt8](repeating: 0, count: limit + 1), options: options)
            }
        }

        @Test func ipv4OptionsAtTheLimitAndPastIt() throws {
            _ = try IPv4Packet(source: .any, destination: .any, protocolNumber: .udp, payload: [],
                               options: [UInt8](repeating: 1, count: 40))
            for count in [3, 44] {
                Frames.expectFrameError(.badHeaderLength) {
                    _ = try IPv4Packet(source: .any, destination: .any, protocolNumber: .udp, payload: [],
                                       options: [UInt8](repeating: 1, count: count))
                }
            }
        }

        @Test func emptyRawFrameIsTruncated() {
            Frames.expectFrameError(.truncated) { _ = try LinkLayerPacket(linkType: .rawIP, frame: []) }
        }

        @Test func slicesNeedNotStartAtZero() throws {
            // Parsers index relative to the slice, so a frame inside a larger buffer reads the same.
            let frame = try Frames.signalingFrame()
            let buffer = [UInt8](repeating: 0xee, count: 7) + frame + [0xee, 0xee]
            let slice = buffer[7..<(7 + frame.count)]
            let packet = try LinkLayerPacket(linkType: .ethernet, frame: slice)
            #expect(packet.udp.map { Array($0.payload) } == Frames.payload)
        }
    }
}
