internal import CPcap
import GLMWire

// Small pieces shared by the libpcap wrappers: error text and link-type numbering.

/// Calls `body` with a zeroed libpcap error buffer and returns its result with the
/// buffer's text.
func withPcapErrorBuffer<R>(_ body: (UnsafeMutablePointer<CChar>) -> R) -> (R, String) {
    var buffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
    return buffer.withUnsafeMutableBufferPointer { pointer in
        let result = body(pointer.baseAddress!)
        return (result, String(cString: pointer.baseAddress!))
    }
}

/// The last error text libpcap stored on a handle.
func pcapErrorText(_ handle: OpaquePointer) -> String {
    guard let text = pcap_geterr(handle) else { return "" }
    return String(cString: text)
}

/// libpcap's text for a status code, with the handle's error text when it has one.
func pcapStatusText(_ handle: OpaquePointer, status: Int32) -> String {
    let statusText = pcap_statustostr(status).map { String(cString: $0) } ?? "status \(status)"
    let detail = pcapErrorText(handle)
    return detail.isEmpty ? statusText : "\(statusText): \(detail)"
}

extension LinkType {
    /// The link type of a libpcap `DLT_` value; `DLT_RAW` becomes ``LinkType/rawIP``.
    init(dataLinkType: Int32) {
        if dataLinkType == DLT_RAW {
            self = .rawIP
        } else {
            self.init(rawValue: UInt32(bitPattern: dataLinkType))
        }
    }

    /// The `DLT_` value libpcap takes for this link type (raw IP is `DLT_RAW`, not 101).
    var dataLinkType: Int32 {
        isRawIP ? DLT_RAW : Int32(bitPattern: rawValue)
    }
}

extension CaptureTimestamp {
    /// A libpcap header time; `tv_usec` holds nanoseconds when `nanosecondPrecision`.
    init(_ time: timeval, nanosecondPrecision: Bool) {
        let fraction = UInt32(clamping: max(0, Int64(time.tv_usec)))
        if nanosecondPrecision {
            self.init(seconds: Int64(time.tv_sec), nanoseconds: fraction)
        } else {
            self.init(seconds: Int64(time.tv_sec), microseconds: fraction)
        }
    }
}

/// Copies the packet libpcap handed out before the next call reuses its buffer.
func capturedPacket(header: UnsafePointer<pcap_pkthdr>, data: UnsafePointer<UInt8>?,
                    nanosecondPrecision: Bool) -> CapturedPacket {
    let length = Int(header.pointee.caplen)
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: length)) } ?? []
    return CapturedPacket(timestamp: CaptureTimestamp(header.pointee.ts, nanosecondPrecision: nanosecondPrecision),
                          bytes: bytes, originalLength: Int(header.pointee.len))
}
