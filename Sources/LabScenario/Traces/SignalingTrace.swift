import Foundation
import GLMWire
import NIOCore
import PacketCapture

/// What the lab's captures saw of a handoff: hypervisor announces on a bridge and the
/// signaling on UDP 5436, each with its capture time, in capture order.
public struct SignalingTrace: Sendable {
    public struct Event: Hashable, Sendable {
        public enum Kind: Hashable, Sendable {
            /// A QEMU announce (RARP) from the VM.
            case announce
            /// A PBU; lifetime 0 is a deregistration.
            case update(lifetimeSeconds: Int)
            case acknowledgement(BindingAcknowledgementStatus)
            case revocation
            case revocationAcknowledgement
        }

        /// Wall-clock seconds since 1970.
        public var time: Double
        public var kind: Kind
        /// The VM: the announce's MAC, the message's MN-ID (EUI-48), or for a PBA without
        /// one, the MN-ID of the PBU it answers.
        public var vm: MACAddress?
        public var source: IPv4Address?
        public var destination: IPv4Address?
        public var sequence: UInt16?
    }

    public var events: [Event]

    public init(events: [Event]) {
        self.events = events
    }

    /// Reads a capture (any link type libpcap writes: Ethernet, Linux cooked of `-i any`).
    /// Frames that are neither announces nor signaling, and signaling that does not
    /// decode, are passed over. The same frame seen on two interfaces (a tap and its
    /// bridge) is one event, at its first time.
    public init(capture path: String) throws {
        let reader = try PcapFileReader(path: path)
        defer { reader.close() }
        var events: [Event] = []
        var updates: [UInt16: MACAddress] = [:]
        var lastAnnounce: (MACAddress, Double)?
        while let packet = try reader.next() {
            let time = Double(packet.timestamp.seconds) + Double(packet.timestamp.nanoseconds) / 1e9
            guard let frame = try? LinkLayerPacket(linkType: reader.linkType, frame: packet.bytes) else { continue }
            if let mac = frame.announcedMAC {
                // The bridge repeats its port's frame within microseconds.
                if let (previous, at) = lastAnnounce, previous == mac, time - at < 0.0005 { continue }
                lastAnnounce = (mac, time)
                events.append(Event(time: time, kind: .announce, vm: mac))
                continue
            }
            guard let ip = frame.ipv4, let udp = frame.udp, udp.sourcePort == 5436 || udp.destinationPort == 5436,
                  let header = try? MobilityHeader(decoding: ByteBuffer(bytes: udp.payload)) else { continue }
            var event = Event(time: time, kind: .revocation, source: ip.source, destination: ip.destination)
            let message = header.message
            if case .eui48(let mac) = message.options.mobileNodeIdentifier { event.vm = mac }
            switch message {
            case .proxyBindingUpdate(let pbu):
                event.kind = .update(lifetimeSeconds: Int(pbu.lifetimeUnits) * 4)
                event.sequence = pbu.sequenceNumber
                if let vm = event.vm { updates[pbu.sequenceNumber] = vm }
            case .proxyBindingAcknowledgement(let pba):
                event.kind = .acknowledgement(pba.status)
                event.sequence = pba.sequenceNumber
                if event.vm == nil { event.vm = updates[pba.sequenceNumber] }
            case .bindingRevocationIndication(let bri):
                event.kind = .revocation
                event.sequence = bri.sequenceNumber
            case .bindingRevocationAcknowledgement(let bra):
                event.kind = .revocationAcknowledgement
                event.sequence = bra.sequenceNumber
            case .heartbeat:
                continue
            }
            // The same datagram seen twice (`-i any` on a host that forwards it): once.
            if let last = events.last, last.kind == event.kind, last.sequence == event.sequence,
               last.source == event.source, time - last.time < 0.0005 { continue }
            events.append(event)
        }
        self.events = events
    }

    /// The first event at or after `time` (and before `until`) that `matches`.
    public func first(after time: Double, until: Double = .infinity, where matches: (Event) -> Bool) -> Event? {
        events.first { $0.time >= time && $0.time < until && matches($0) }
    }
}
