import GLMWire
import NIOCore

/// A copy of a VM's downlink handed to a LAN of this host as an Ethernet frame addressed
/// to the VM's MAC: while the VM is on its way back here (make-before-break), the frames
/// wait in its tap's queue until QEMU resumes it. Packets the kernel segments for the
/// tunnel (TCP offload) are not copied.
public struct LocalDelivery: Hashable, Sendable {
    public var interface: String
    public var vm: MACAddress
    /// The source MAC of the frames: the interface's own.
    public var source: MACAddress

    public init(interface: String, vm: MACAddress, source: MACAddress) {
        self.interface = interface
        self.vm = vm
        self.source = source
    }

    /// Sends `packet` (an IPv4 packet) to the VM; false when the interface refused it.
    func deliver(_ packet: ByteBuffer) -> Bool {
        var frame = vm.octets + source.octets + [0x08, 0x00]
        frame += packet.readableBytesView
        do {
            try NetworkInterface.send(frame: frame, on: interface)
            return true
        } catch {
            return false
        }
    }
}
