import GLMWire
import NIOCore

/// The encapsulation side of segmentation offload: takes what a TUN opened with
/// ``TunDevice/segmentationOffload`` hands its reader — a ``VirtioNetHeader`` and a
/// packet that may be a TCP "super-packet" of up to 64 KiB — and turns it into tunnel
/// datagrams of at most the MTU.
///
/// A super-packet becomes its segments, as the kernel's own TSO would cut them
/// (sequence numbers, IP identification, lengths, PSH/FIN on the last, CWR on the
/// first, checksums). Only each segment's headers are written — framing header, IPv4
/// and TCP headers, side by side in the frame buffer; the payload stays where the TUN
/// read put it, and the send gathers headers and payload (`sendmmsg` with an `iovec`
/// per piece). Segments of one super-packet go out as runs of equal-sized datagrams
/// with one `UDP_SEGMENT` control message per run, so the kernel cuts the datagrams.
///
/// The framing header of each segment is what ``TunnelFrame/encode(_:format:into:)``
/// writes for a packet of that length (taken from an encoding of a stand-in of that
/// length, cached), so this path and the plain one frame identically.
struct TCPSegmenter {
    /// Most datagrams and octets in one `UDP_SEGMENT` send (the kernel takes 64
    /// segments and one IPv4 datagram's worth).
    static let maximumRunSegments = 64
    static let maximumRunOctets = 65_000

    /// Cleared when the kernel refuses a segmented send; each datagram then goes alone.
    var sendsRuns = true
    private var framingHeaders = FramingHeaderCache()

    /// Frames one TUN read: `read` (virtio header and packet) sits at `offset` in the
    /// batch's read buffer, whose memory is `readBuffer`.
    mutating func encapsulate(_ read: ByteBuffer, at offset: Int, in readBuffer: UnsafeRawBufferPointer,
                              table: TunnelRoutingTable, into frames: inout ByteBuffer,
                              outgoing: inout OutgoingFrames, counters: inout TunnelCounters) {
        guard read.readableBytes > VirtioNetHeader.size else {
            counters.droppedMalformed &+= 1
            return
        }
        let header = VirtioNetHeader(readBuffer.baseAddress! + offset)
        let packet = read.getSlice(at: read.readerIndex + VirtioNetHeader.size,
                                   length: read.readableBytes - VirtioNetHeader.size)!
        guard let ip = IPv4Header(packet), ip.totalLength == packet.readableBytes else {
            counters.droppedMalformed &+= 1
            return
        }
        // The same decision as the plain path's, but a super-packet is not copied onto a LAN.
        var destinations = table.destinations(source: ip.source, destination: ip.destination)
        if header.gsoType & ~VirtioNetHeader.gsoECN != VirtioNetHeader.gsoNone {
            destinations = destinations.withoutLocalDelivery
        }
        guard !destinations.isEmpty else {
            counters.droppedNoRoute &+= 1
            return
        }
        if let local = destinations.local, !local.deliver(packet) { counters.droppedTransmitFailed &+= 1 }
        if let route = destinations.route {
            encapsulate(packet, header: header, ip: ip, at: offset, in: readBuffer, read: read, route: route,
                        into: &frames, outgoing: &outgoing, counters: &counters)
        }
        if let copy = destinations.copy {
            encapsulate(packet, header: header, ip: ip, at: offset, in: readBuffer, read: read, route: copy,
                        into: &frames, outgoing: &outgoing, counters: &counters)
        }
    }

    private mutating func encapsulate(_ packet: ByteBuffer, header: VirtioNetHeader, ip: IPv4Header, at offset: Int,
                                      in readBuffer: UnsafeRawBufferPointer, read: ByteBuffer, route: TunnelRoute,
                                      into frames: inout ByteBuffer, outgoing: inout OutgoingFrames,
                                      counters: inout TunnelCounters) {
        let gsoType = header.gsoType & ~VirtioNetHeader.gsoECN
        if gsoType == VirtioNetHeader.gsoNone {
            encapsulateWhole(packet, header: header, route: route, into: &frames, outgoing: &outgoing, counters: &counters)
            return
        }
        guard gsoType == VirtioNetHeader.gsoTCPv4, ip.protocolNumber == 6, header.gsoSize > 0 else {
            counters.droppedMalformed &+= 1
            return
        }
        let start = UnsafeRawBufferPointer(rebasing: readBuffer[(offset + VirtioNetHeader.size)..<(offset + read.readableBytes)])
        segment(start, at: offset + VirtioNetHeader.size, ip: ip, mss: Int(header.gsoSize), route: route,
                into: &frames, outgoing: &outgoing, counters: &counters)
    }

    /// A packet the kernel did not segment: framed whole, its checksum completed when
    /// the kernel left that to us.
    private func encapsulateWhole(_ packet: ByteBuffer, header: VirtioNetHeader, route: TunnelRoute,
                                  into frames: inout ByteBuffer, outgoing: inout OutgoingFrames,
                                  counters: inout TunnelCounters) {
        let start = frames.writerIndex
        do {
            try TunnelFrame.encode(packet, format: route.framing, into: &frames)
        } catch {
            frames.moveWriterIndex(to: start)
            counters.droppedMalformed &+= 1
            return
        }
        if header.flags & VirtioNetHeader.needsChecksum != 0 {
            // The field holds the pseudo-header sum; sum from checksumStart to the end.
            let innerStart = start + TunnelFrame.overhead(route.framing)
            let checksumStart = Int(header.checksumStart)
            let field = checksumStart + Int(header.checksumOffset)
            guard field + 2 <= packet.readableBytes else {
                frames.moveWriterIndex(to: start)
                counters.droppedMalformed &+= 1
                return
            }
            let readerIndex = frames.readerIndex
            frames.withUnsafeMutableReadableBytes { raw in
                let inner = raw.baseAddress! + (innerStart - readerIndex)
                let sum = OnesComplement.sum(inner + checksumStart, packet.readableBytes - checksumStart)
                inner.storeBytes(of: ~OnesComplement.fold(sum), toByteOffset: field, as: UInt16.self)
            }
        }
        outgoing.addPiece(inFrames: true, offset: start, length: frames.writerIndex - start)
        outgoing.finishFrame(peer: route.peer, segmentSize: nil, packets: 1, innerBytes: packet.readableBytes)
    }

    /// Cuts a TCP super-packet (`packet`, at `offset` in the read buffer) into segments
    /// of `mss` payload octets and queues them as runs for `route`'s peer.
    private mutating func segment(_ packet: UnsafeRawBufferPointer, at offset: Int, ip: IPv4Header, mss: Int,
                                  route: TunnelRoute, into frames: inout ByteBuffer,
                                  outgoing: inout OutgoingFrames, counters: inout TunnelCounters) {
        let source = packet.baseAddress!
        let tcpHeaderLength = Int(source.load(fromByteOffset: ip.headerLength + 12, as: UInt8.self) >> 4) * 4
        let headers = ip.headerLength + tcpHeaderLength
        guard tcpHeaderLength >= 20, headers <= packet.count else {
            counters.droppedMalformed &+= 1
            return
        }
        let payloadLength = packet.count - headers
        let segments = max(1, (payloadLength + mss - 1) / mss)
        let lastLength = payloadLength - (segments - 1) * mss
        let overhead = TunnelFrame.overhead(route.framing)
        guard let fullFraming = framingHeaders.header(for: route.framing, innerLength: headers + min(mss, payloadLength), sample: packet, headers: headers),
              let lastFraming = framingHeaders.header(for: route.framing, innerLength: headers + lastLength, sample: packet, headers: headers)
        else {
            counters.droppedMalformed &+= 1
            return
        }
        let block = overhead + headers
        let fullFrame = block + min(mss, payloadLength)
        let perRun = sendsRuns ? max(1, min(Self.maximumRunSegments, Self.maximumRunOctets / fullFrame)) : 1

        // Every segment's framing and headers, side by side in the frame buffer.
        let blocks = frames.writerIndex
        frames.reserveCapacity(minimumWritableBytes: segments * block)
        frames.withUnsafeMutableWritableBytes { raw in
            let firstSequence = UInt32(bigEndian: source.loadUnaligned(fromByteOffset: ip.headerLength + TCPField.sequence, as: UInt32.self))
            let firstIdentification = UInt16(bigEndian: source.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
            let flags = source.load(fromByteOffset: ip.headerLength + TCPField.flags, as: UInt8.self)
            for index in 0..<segments {
                let last = index == segments - 1
                let length = last ? lastLength : mss
                let framing = last ? lastFraming : fullFraming
                let out = raw.baseAddress! + index * block
                framing.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: overhead) }
                let segment = out + overhead
                segment.copyMemory(from: source, byteCount: headers)
                let tcp = segment + ip.headerLength
                segment.storeBytes(of: UInt16(headers + length).bigEndian, toByteOffset: 2, as: UInt16.self)
                segment.storeBytes(of: (firstIdentification &+ UInt16(truncatingIfNeeded: index)).bigEndian,
                                   toByteOffset: 4, as: UInt16.self)
                OnesComplement.setIPv4HeaderChecksum(segment, headerLength: ip.headerLength)
                tcp.storeBytes(of: (firstSequence &+ UInt32(truncatingIfNeeded: index * mss)).bigEndian,
                               toByteOffset: TCPField.sequence, as: UInt32.self)
                var segmentFlags = flags
                if !last { segmentFlags &= ~(TCPField.fin | TCPField.psh) }
                if index > 0 { segmentFlags &= ~TCPField.cwr }
                tcp.storeBytes(of: segmentFlags, toByteOffset: TCPField.flags, as: UInt8.self)
                tcp.storeBytes(of: 0, toByteOffset: TCPField.checksum, as: UInt16.self)
                let tcpLength = tcpHeaderLength + length
                var sum = OnesComplement.pseudoHeader(segment, protocolNumber: 6, length: tcpLength)
                sum = OnesComplement.sum(tcp, tcpHeaderLength, sum)
                sum = OnesComplement.sum(source + headers + index * mss, length, sum)
                tcp.storeBytes(of: ~OnesComplement.fold(sum), toByteOffset: TCPField.checksum, as: UInt16.self)
            }
        }
        frames.moveWriterIndex(forwardBy: segments * block)

        var runSegments = 0
        var runBytes = 0
        for index in 0..<segments {
            let last = index == segments - 1
            let length = last ? lastLength : mss
            outgoing.addPiece(inFrames: true, offset: blocks + index * block, length: block)
            outgoing.addPiece(inFrames: false, offset: offset + headers + index * mss, length: length)
            runSegments += 1
            runBytes += headers + length
            if runSegments == perRun || last {
                outgoing.finishFrame(peer: route.peer, segmentSize: runSegments > 1 ? UInt16(fullFrame) : nil,
                                     packets: runSegments, innerBytes: runBytes)
                runSegments = 0
                runBytes = 0
            }
        }
    }
}

/// The framing header ``TunnelFrame/encode(_:format:into:)`` writes for an inner packet
/// of a given length, kept for the few lengths a flow uses.
struct FramingHeaderCache {
    private struct Entry {
        var format: TunnelFrame.Format
        var innerLength: Int
        var header: [UInt8]
    }

    private var entries: [Entry] = []
    private var standIn = ByteBufferAllocator().buffer(capacity: 2048)
    private var encoded = ByteBufferAllocator().buffer(capacity: 2048)

    /// The header for `format` and `innerLength`; `sample`'s first `headers` octets
    /// make the stand-in packet an encoder accepts. Nil if the encoder refuses it.
    mutating func header(for format: TunnelFrame.Format, innerLength: Int, sample: UnsafeRawBufferPointer,
                         headers: Int) -> [UInt8]? {
        if format == .bare { return [] }
        if let entry = entries.first(where: { $0.innerLength == innerLength && $0.format == format }) {
            return entry.header
        }
        standIn.clear()
        standIn.writeBytes(UnsafeRawBufferPointer(rebasing: sample[0..<headers]))
        standIn.writeRepeatingByte(0, count: innerLength - headers)
        standIn.setInteger(UInt16(innerLength), at: 2)
        encoded.clear()
        guard (try? TunnelFrame.encode(standIn, format: format, into: &encoded)) != nil else { return nil }
        let header = encoded.getBytes(at: 0, length: TunnelFrame.overhead(format))!
        if entries.count == 8 { entries.removeFirst() }
        entries.append(Entry(format: format, innerLength: innerLength, header: header))
        return header
    }
}
