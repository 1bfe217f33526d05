import GLMWire
import Testing

extension Frames {
    @Suite("Frames: arbitrary input never crashes the decoder")
    struct FrameRobustnessTests {
        static let linkTypes: [LinkType] = [.ethernet, .rawIP, .ipv4, .linuxCooked, .linuxCookedV2]

        /// Decodes and, when that succeeds, touches every derived value.
        static func exercise(_ linkType: LinkType, _ frame: [UInt8]) {
            guard let packet = try? LinkLayerPacket(linkType: linkType, frame: frame) else { return }
            _ = packet.sourceMAC
            _ = packet.destinationMAC
            _ = packet.announcedMAC
            if let ip = packet.ipv4 {
                _ = ip.hasValidHeaderChecksum
                _ = try? ip.serialized()
                if let udp = packet.udp {
                    _ = udp.hasValidChecksum(source: ip.source, destination: ip.destination)
                }
            }
            if case .linuxCooked(let header) = packet.link {
                _ = header.linkAddress
                _ = header.serialized()
            }
        }

        @Test func randomOctets() {
            var random = FrameTestRandom(seed: 0x5eed_f4a3)
            for _ in 0..<4000 {
                let length = Int.random(in: 0...120, using: &random)
                let frame = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                for linkType in Self.linkTypes {
                    Self.exercise(linkType, frame)
                }
            }
        }

        @Test func mutatedValidFrames() throws {
            var random = FrameTestRandom(seed: 42)
            let seeds: [(LinkType, [UInt8])] = [
                (.ethernet, try Frames.signalingFrame()),
                (.ethernet, try Frames.signalingFrame(vlan: VLANTag(identifier: 3))),
                (.ethernet, Frames.qemuAnnounce),
                (.rawIP, try Frames.signalingPacket()),
                (.linuxCooked, FrameBuilder.linuxCooked(.v1, packetType: .host, source: Frames.vmMAC,
                                                        etherType: .ipv4, payload: try Frames.signalingPacket())),
                (.linuxCookedV2, FrameBuilder.linuxCooked(.v2, packetType: .host, source: Frames.vmMAC,
                                                          etherType: .ipv4, payload: try Frames.signalingPacket())),
            ]
            for (linkType, seed) in seeds {
                for _ in 0..<1500 {
                    var frame = seed
                    for _ in 0..<Int.random(in: 1...4, using: &random) {
                        let index = Int.random(in: 0..<frame.count, using: &random)
                        frame[index] = UInt8.random(in: 0...255, using: &random)
                    }
                    if Bool.random(using: &random) {
                        frame.removeLast(Int.random(in: 0..<frame.count, using: &random))
                    }
                    Self.exercise(linkType, frame)
                }
            }
        }

        @Test func extremeLinkAddressLengths() throws {
            for length in [0, 5, 7, 8, 9, 0xff] {
                var header = LinuxCookedHeader(version: .v2, packetType: .host, source: Frames.vmMAC,
                                               protocolType: .ipv4, payload: [])
                header.linkAddressLength = length
                let parsed = try LinuxCookedHeader(parsing: header.serialized()[...], version: .v2)
                #expect(parsed.linkAddress.count == min(length, 8))
                #expect(parsed.sourceMAC == nil)
            }
            var negative = LinuxCookedHeader(version: .v1, packetType: .host, source: nil, protocolType: .ipv4, payload: [])
            negative.linkAddressLength = -3
            #expect(negative.linkAddress.isEmpty)
        }
    }
}
