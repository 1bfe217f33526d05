import Foundation
import GLMWire
import NIOCore
import PacketCapture

/// One registration as seen from the site host: the announce reaching the bridge, the
/// PBU leaving by the WAN, the PBA arriving, and the VM served (its policy rule in the
/// kernel, the last change serving makes).
struct HandoffTimeline {
    var announce: Double?
    var update: Double?
    var acknowledgement: Double?
    var served: Double?

    /// Announce → PBU on the wire, in seconds.
    var announceToUpdate: Double? { Self.span(announce, update) }
    /// PBA on the wire → served, in seconds.
    var acknowledgementToServed: Double? { Self.span(acknowledgement, served) }
    /// PBU → PBA: the round trip and the home agent's processing (durable write included).
    var registration: Double? { Self.span(update, acknowledgement) }

    private static func span(_ start: Double?, _ end: Double?) -> Double? {
        guard let start, let end else { return nil }
        return end - start
    }

    /// Each VM's timeline, from the site's capture (every interface) and the kernel's rule
    /// events (`ip -ts monitor rule`); `addresses` maps each VM's home address to its MAC.
    static func read(capture: String, ruleEvents: String, addresses: [IPv4Address: MACAddress]) throws -> [MACAddress: HandoffTimeline] {
        var timelines: [MACAddress: HandoffTimeline] = [:]
        var sequences: [UInt16: MACAddress] = [:]
        let reader = try PcapFileReader(path: capture)
        defer { reader.close() }
        while let packet = try reader.next() {
            let time = Double(packet.timestamp.seconds) + Double(packet.timestamp.nanoseconds) / 1e9
            guard let frame = try? LinkLayerPacket(linkType: reader.linkType, frame: packet.bytes) else { continue }
            if let mac = frame.announcedMAC {
                if timelines[mac, default: HandoffTimeline()].announce == nil { timelines[mac, default: HandoffTimeline()].announce = time }
                continue
            }
            guard let udp = frame.udp, udp.sourcePort == 5436 || udp.destinationPort == 5436,
                  let header = try? MobilityHeader(decoding: ByteBuffer(bytes: udp.payload)) else { continue }
            switch header.message {
            case .proxyBindingUpdate(let pbu):
                guard case .eui48(let mac) = pbu.options.mobileNodeIdentifier, pbu.lifetimeUnits > 0 else { continue }
                sequences[pbu.sequenceNumber] = mac
                if timelines[mac, default: HandoffTimeline()].update == nil { timelines[mac, default: HandoffTimeline()].update = time }
            case .proxyBindingAcknowledgement(let pba):
                guard let mac = sequences[pba.sequenceNumber], pba.status == .accepted,
                      timelines[mac]?.acknowledgement == nil else { continue }
                timelines[mac]?.acknowledgement = time
            default:
                continue
            }
        }
        for line in ruleEvents.split(separator: "\n") {
            // [2026-11-24T23:59:59.123456] 5437:\tfrom 10.10.0.11 lookup 5437
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]"), !line.contains("Deleted"),
                  let time = Self.time(line[line.index(after: line.startIndex)..<close]) else { continue }
            let words = line[close...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let from = words.firstIndex(of: "from"), from + 1 < words.count,
                  let address = IPv4Address(String(words[from + 1])), let mac = addresses[address],
                  timelines[mac]?.served == nil else { continue }
            timelines[mac]?.served = time
        }
        return timelines
    }

    /// `2026-11-24T23:59:59.123456`, UTC.
    static func time(_ text: Substring) -> Double? {
        let parts = text.split(separator: ".")
        guard parts.count == 2, let fraction = Double("0." + parts[1]) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        guard let date = formatter.date(from: String(parts[0])) else { return nil }
        return date.timeIntervalSince1970 + fraction
    }
}
