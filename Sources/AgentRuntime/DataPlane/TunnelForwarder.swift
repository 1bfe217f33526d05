#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import GLMWire
import Logging
import NIOCore
import Synchronization

/// The two packet loops of ``UserSpaceTunnel``, each on its own thread:
/// encapsulation (TUN → routing table → UDP to the peer) and decapsulation
/// (UDP → frame decoding → admission → TUN).
///
/// Each loop drains its descriptor in batches (up to ``batchSize`` packets per wake-up,
/// `recvmmsg`/`sendmmsg` on the socket), works in buffers allocated once, and publishes
/// its counters once per batch. It blocks in `poll(2)` only when its descriptor is
/// empty, on that descriptor and the stop pipe.
final class TunnelForwarder: Sendable {
    let device: TunDevice
    let socket: TunnelSocket
    let routes: Mutex<TunnelRoutingTable>
    let counters = SharedTunnelCounters()
    let batchSize: Int
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let wakeup: Wakeup

    /// Octets set aside for one packet read from the TUN (a 64 KiB segmentation-offload
    /// packet plus its virtio header when offload is on; the MTU otherwise).
    let readSlot: Int
    /// Octets set aside for one receive from the socket (a coalesced run of datagrams
    /// can reach 64 KiB).
    static let receiveSlot = 65_536

    init(device: TunDevice, socket: TunnelSocket, routes: TunnelRoutingTable, mtu: Int, batchSize: Int,
         logger: Logger) throws(DataPlaneError) {
        self.device = device
        self.socket = socket
        self.routes = Mutex(routes)
        self.batchSize = batchSize
        self.logger = logger
        self.wakeup = try Wakeup()
        self.readSlot = device.segmentationOffload ? 65_536 + VirtioNetHeader.size : max(mtu, 576) + 64
    }

    /// Makes both loops return; they notice within one batch.
    func stop() {
        stopping.store(true, ordering: .releasing)
        wakeup.signal()
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Waits until `descriptor` is readable; false when the forwarder is stopping.
    func waitReadable(_ descriptor: Int32) -> Bool {
        withUnsafeTemporaryAllocation(of: pollfd.self, capacity: 2) { entries in
            entries[0] = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            entries[1] = pollfd(fd: wakeup.readDescriptor, events: Int16(POLLIN), revents: 0)
            while !isStopping {
                let ready = poll(entries.baseAddress!, 2, -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    logger.info("tunnel thread stops: poll failed", metadata: ["error": "\(Linux.errorText(errno))"])
                    return false
                }
                if entries[1].revents != 0 { return false }
                if entries[0].revents != 0 { return true }
            }
            return false
        }
    }

    // MARK: - TUN → tunnel

    func runEncapsulation() {
        // With offload, a read can be a 64 KiB super-packet: fewer reads per batch.
        let reads = device.segmentationOffload ? min(batchSize, 16) : batchSize
        let batch = MessageBatch(capacity: batchSize, vectorCapacity: 1024)
        var packets = ByteBufferAllocator().buffer(capacity: reads * readSlot)
        var frames = ByteBufferAllocator().buffer(capacity: device.segmentationOffload ? reads * 4096 : reads * (readSlot + 16))
        var lengths = [Int](repeating: 0, count: reads)
        var outgoing = OutgoingFrames(capacity: batchSize)
        var local = TunnelCounters()
        var segmenter = device.segmentationOffload ? TCPSegmenter() : nil

        while !isStopping {
            packets.clear()
            var count = 0
            packets.withUnsafeMutableWritableBytes { raw in
                while count < reads {
                    let read = Glibc.read(device.fileDescriptor, raw.baseAddress! + count * readSlot, readSlot)
                    if read > 0 {
                        lengths[count] = read
                        count += 1
                    } else if read < 0 && errno == EINTR {
                        continue
                    } else {
                        break  // EAGAIN: drained
                    }
                }
            }
            if count == 0 {
                if !waitReadable(device.fileDescriptor) { break }
                continue
            }
            packets.moveWriterIndex(to: count * readSlot)
            let table = routes.withLock { $0 }
            frames.clear()
            outgoing.removeAll()
            packets.withUnsafeReadableBytes { readBuffer in
                for index in 0..<count {
                    let packet = packets.getSlice(at: index * readSlot, length: lengths[index])!
                    if segmenter != nil {
                        segmenter!.encapsulate(packet, at: index * readSlot, in: readBuffer, table: table, into: &frames,
                                               outgoing: &outgoing, counters: &local)
                    } else {
                        Self.encapsulate(packet, table: table, into: &frames, outgoing: &outgoing, counters: &local)
                    }
                }
            }
            if !send(outgoing, frames: frames, packets: packets, batch: batch, counters: &local),
               segmenter?.sendsRuns == true {
                logger.info("the kernel refuses UDP segmentation offload; sending datagrams one by one")
                segmenter?.sendsRuns = false
            }
            counters.publish(&local)
        }
    }

    /// Frames one IPv4 packet for its destinations (``PacketDestinations``), or counts why not.
    static func encapsulate(_ packet: ByteBuffer, table: TunnelRoutingTable, into frames: inout ByteBuffer,
                            outgoing: inout OutgoingFrames, counters: inout TunnelCounters) {
        guard let header = IPv4Header(packet) else {
            counters.droppedMalformed &+= 1
            return
        }
        let destinations = table.destinations(source: header.source, destination: header.destination)
        guard !destinations.isEmpty else {
            counters.droppedNoRoute &+= 1
            return
        }
        if let route = destinations.route {
            encapsulate(packet, for: route, into: &frames, outgoing: &outgoing, counters: &counters)
        }
        if let copy = destinations.copy {
            encapsulate(packet, for: copy, into: &frames, outgoing: &outgoing, counters: &counters)
        }
        if let local = destinations.local, !local.deliver(packet) { counters.droppedTransmitFailed &+= 1 }
    }

    private static func encapsulate(_ packet: ByteBuffer, for route: TunnelRoute, into frames: inout ByteBuffer,
                                    outgoing: inout OutgoingFrames, counters: inout TunnelCounters) {
        let start = frames.writerIndex
        do {
            try TunnelFrame.encode(packet, format: route.framing, into: &frames)
        } catch {
            frames.moveWriterIndex(to: start)
            counters.droppedMalformed &+= 1
            return
        }
        outgoing.addPiece(inFrames: true, offset: start, length: frames.writerIndex - start)
        outgoing.finishFrame(peer: route.peer, segmentSize: nil, packets: 1, innerBytes: packet.readableBytes)
    }

    /// Sends the batch's frames with as few `sendmmsg` calls as the kernel allows;
    /// false when the kernel refused a `UDP_SEGMENT` run as such (EINVAL, EIO).
    func send(_ outgoing: OutgoingFrames, frames: ByteBuffer, packets: ByteBuffer, batch: MessageBatch,
              counters: inout TunnelCounters) -> Bool {
        guard outgoing.count > 0 else { return true }
        var runsAccepted = true
        frames.withUnsafeReadableBytes { frameMemory in
            packets.withUnsafeReadableBytes { packetMemory in
                var done = 0
                while done < outgoing.count {
                    var chunk = 0
                    var vectors = 0
                    while done + chunk < outgoing.count, chunk < batch.capacity,
                          vectors + outgoing[done + chunk].pieceCount <= batch.vectorCapacity {
                        let frame = outgoing[done + chunk]
                        let first = vectors
                        for piece in outgoing.pieces(of: frame) {
                            let base = piece.inFrames ? frameMemory.baseAddress! : packetMemory.baseAddress!
                            batch.setVector(vectors, base: base + piece.offset, length: piece.length)
                            vectors += 1
                        }
                        batch.prepareSend(chunk, vectors: first..<vectors, peer: frame.peer, port: socket.port,
                                          segmentSize: frame.segmentSize)
                        chunk += 1
                    }
                    var sent = 0
                    while sent < chunk {
                        let result = Linux.sendMessages(socket.descriptor, batch.entries + sent * Linux.messageEntryStride,
                                                        UInt32(chunk - sent), 0)
                        if result > 0 {
                            for index in sent..<(sent + Int(result)) {
                                let frame = outgoing[done + index]
                                counters.packetsOut &+= UInt64(frame.packets)
                                counters.bytesOut &+= UInt64(frame.innerBytes)
                                counters.peers[frame.peer, default: PeerTraffic()].sent(packets: frame.packets, bytes: frame.innerBytes)
                            }
                            sent += Int(result)
                        } else if result < 0 && errno == EINTR {
                            continue
                        } else {
                            // The first remaining message was refused (no route to the peer,
                            // EMSGSIZE...): count it and go on with the rest.
                            let code = errno
                            let frame = outgoing[done + sent]
                            if frame.segmentSize != nil && (code == EINVAL || code == EIO) { runsAccepted = false }
                            counters.droppedTransmitFailed &+= UInt64(frame.packets)
                            logger.debug("tunnel send failed", metadata: ["peer": "\(frame.peer)", "error": "\(Linux.errorText(code))"])
                            sent += 1
                        }
                    }
                    done += chunk
                }
            }
        }
        return runsAccepted
    }

    // MARK: - tunnel → TUN

    func runDecapsulation() {
        let batch = MessageBatch(capacity: batchSize)
        let slot = Self.receiveSlot
        var datagrams = ByteBufferAllocator().buffer(capacity: batchSize * slot)
        var local = TunnelCounters()
        var coalescer = device.segmentationOffload ? TCPCoalescer() : nil
        defer { coalescer?.deallocate() }

        while !isStopping {
            datagrams.clear()
            var received: Int32 = 0
            datagrams.withUnsafeMutableWritableBytes { raw in
                for index in 0..<batchSize {
                    batch.prepareReceive(index, base: raw.baseAddress! + index * slot, length: slot)
                }
                received = Linux.receiveMessages(socket.descriptor, batch.entries, UInt32(batchSize), Int32(MSG_DONTWAIT), nil)
            }
            if received <= 0 {
                let code = errno
                if received < 0 && code == EINTR { continue }
                if received < 0 && code != EAGAIN && code != EWOULDBLOCK {
                    logger.debug("tunnel receive failed", metadata: ["error": "\(Linux.errorText(code))"])
                }
                if !waitReadable(socket.descriptor) { break }
                continue
            }
            datagrams.moveWriterIndex(to: Int(received) * slot)
            let table = routes.withLock { $0 }
            // The segments of one coalesced receive share their sender and addresses:
            // decide once for a run of identical (sender, source, destination, key).
            var lastQuery: AdmissionQuery? = nil
            var lastVerdict = TunnelAdmission.refused(.noRoute)
            var run = PeerRun()
            datagrams.withUnsafeReadableBytes { memory in
                for index in 0..<Int(received) {
                    let length = batch.transferred(index)
                    let sender = batch.sender(index)
                    let segmentSize = batch.coalescedSegmentSize(index) ?? length
                    var offset = index * slot
                    let end = offset + length
                    while offset < end {
                        let size = min(segmentSize, end - offset)
                        let payload = datagrams.getSlice(at: offset, length: size)!
                        offset += size
                        guard let frame = try? TunnelFrame(decoding: payload) else {
                            local.droppedMalformed &+= 1
                            continue
                        }
                        let query = AdmissionQuery(sender: sender, source: frame.innerSource,
                                                   destination: frame.innerDestination, key: frame.greKey)
                        if query != lastQuery {
                            lastVerdict = table.admit(source: query.source, destination: query.destination,
                                                      key: query.key, from: sender)
                            lastQuery = query
                        }
                        guard case .admitted = lastVerdict else {
                            if case .refused(let reason) = lastVerdict { local[dropped: reason] &+= 1 }
                            continue
                        }
                        // The inner packet runs to the end of the datagram.
                        let inner = UnsafeRawBufferPointer(rebasing: memory[(offset - frame.packet.readableBytes)..<offset])
                        run.admitted(inner.count, from: sender, into: &local)
                        if coalescer != nil {
                            coalescer!.add(inner, to: device, counters: &local)
                        } else if device.write(inner) {
                            local.packetsIn &+= 1
                            local.bytesIn &+= UInt64(inner.count)
                        } else {
                            local.droppedTransmitFailed &+= 1
                        }
                    }
                }
                coalescer?.flush(to: device, counters: &local)
            }
            run.finish(into: &local)
            counters.publish(&local)
        }
    }
}

struct AdmissionQuery: Equatable {
    var sender: IPv4Address
    var source: IPv4Address
    var destination: IPv4Address
    var key: UInt32?
}
