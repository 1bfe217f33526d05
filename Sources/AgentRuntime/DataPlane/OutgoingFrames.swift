import GLMWire

/// The frames of one batch waiting to be sent: each a list of pieces of the frame
/// buffer or of the read buffer, gathered by one `sendmmsg` entry, and to whom it goes.
struct OutgoingFrames {
    struct Piece {
        /// In the frame buffer, or else in the buffer the TUN was read into.
        var inFrames: Bool
        var offset: Int
        var length: Int
    }

    struct Frame {
        var firstPiece: Int
        var pieceCount: Int
        var peer: IPv4Address
        /// With segmentation offload, the size of each datagram the kernel cuts this run into.
        var segmentSize: UInt16?
        var packets: Int
        var innerBytes: Int
    }

    private var frames: [Frame] = []
    private var allPieces: [Piece] = []
    private var pendingPieces = 0

    init(capacity: Int) {
        frames.reserveCapacity(capacity)
        allPieces.reserveCapacity(capacity * 4)
    }

    var count: Int { frames.count }
    subscript(index: Int) -> Frame { frames[index] }

    func pieces(of frame: Frame) -> ArraySlice<Piece> {
        allPieces[frame.firstPiece..<(frame.firstPiece + frame.pieceCount)]
    }

    mutating func removeAll() {
        frames.removeAll(keepingCapacity: true)
        allPieces.removeAll(keepingCapacity: true)
        pendingPieces = 0
    }

    /// Adds a piece to the frame being assembled.
    mutating func addPiece(inFrames: Bool, offset: Int, length: Int) {
        allPieces.append(Piece(inFrames: inFrames, offset: offset, length: length))
        pendingPieces += 1
    }

    /// Closes the frame being assembled from the pieces added since the last one.
    mutating func finishFrame(peer: IPv4Address, segmentSize: UInt16?, packets: Int, innerBytes: Int) {
        frames.append(Frame(firstPiece: allPieces.count - pendingPieces, pieceCount: pendingPieces, peer: peer,
                            segmentSize: segmentSize, packets: packets, innerBytes: innerBytes))
        pendingPieces = 0
    }
}
