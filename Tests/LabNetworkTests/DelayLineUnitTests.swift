import GLMWire
@testable import LabNetwork
import Testing

/// The delay line's parts that need no TUN device: which link an address is on, what a
/// packet's delay is, the `--link` options, the queue's order and bound, the TTL given
/// back, the counters line.
@Suite("Delay line without a device")
struct DelayLineUnitTests {
    let configuration = DelayLine.Configuration(
        home: DelayLine.Link(delay: .zero),
        sites: [DelayLine.Link(delay: .milliseconds(3)), DelayLine.Link(delay: .milliseconds(10), lossPercent: 5)])

    @Test("a packet's delay is its source link's plus its destination link's")
    func delays() {
        let address = { (text: String) in IPv4Address(text)! }
        #expect(configuration.linkNumber(of: address("198.18.0.2")) == 0)
        #expect(configuration.linkNumber(of: address("198.18.2.1")) == 2)
        #expect(configuration.linkNumber(of: address("198.18.3.2")) == nil)
        #expect(configuration.linkNumber(of: address("198.19.1.2")) == nil)
        #expect(configuration.linkNumber(of: address("10.10.0.9")) == nil)
        #expect(configuration.delay(from: address("198.18.0.2"), to: address("198.18.1.2")) == .milliseconds(3))
        #expect(configuration.delay(from: address("198.18.2.2"), to: address("198.18.1.2")) == .milliseconds(13))
        #expect(configuration.delay(from: address("10.10.0.9"), to: address("198.18.2.2")) == .milliseconds(10))
        #expect(DelayLine.Configuration(sites: 3).delay(from: address("198.18.1.2"), to: address("198.18.3.2")) == .milliseconds(6))
    }

    @Test("--link options round-trip; bad ones are refused")
    func linkOptions() throws {
        #expect(configuration.arguments == ["--link", "home=0.0", "--link", "site1=3.0", "--link", "site2=10.0,loss=5.0"])
        #expect(try DelayLine.Configuration(links: configuration.arguments.filter { $0 != "--link" }) == configuration)
        let sparse = try DelayLine.Configuration(links: ["site3=0.25", "home=1"])
        #expect(sparse.home.delay == .milliseconds(1) && sparse.sites.map(\.delay) == [.zero, .zero, .microseconds(250)])
        for bad in ["site1", "site1=x", "site1=-1", "site0=1", "hub=1", "site1=1,loss=101", "site1=1,drop=3"] {
            #expect(throws: DelayLine.ConfigurationError.self, "\(bad)") { try DelayLine.Configuration(links: [bad]) }
        }
    }

    @Test("the queue releases the earliest deadline first, each delay's packets in order, and holds at most its capacity")
    func queue() {
        var queue = DelayQueue(capacity: 4)
        let nothing = queue.removeEarliest()
        #expect(queue.earliestDeadline == nil && nothing == nil)
        let held = [queue.hold([1], arrival: 0, delay: 6), queue.hold([2], arrival: 1, delay: 3),
                    queue.hold([3], arrival: 2, delay: 6), queue.hold([4], arrival: 2, delay: 3),
                    queue.hold([5], arrival: 3, delay: 0)]
        #expect(held == [true, true, true, true, false])
        #expect(queue.count == 4 && queue.earliestDeadline == 4)
        var released: [(UInt8, Int64)] = []
        while let packet = queue.removeEarliest() { released.append((packet.bytes[0], packet.deadline)) }
        #expect(released.map(\.0) == [2, 4, 1, 3] && released.map(\.1) == [4, 5, 6, 8])
        let heldAgain = queue.hold([6], arrival: 9, delay: 0)
        #expect(queue.count == 1 && heldAgain)
    }

    @Test("the TTL the WAN core's second forwarding takes is given back, checksum intact")
    func hopGivenBack() {
        // An IPv4 header (TTL 63, ICMP) whose checksum is valid.
        var header: [UInt8] = [0x45, 0, 0, 84, 0x12, 0x34, 0x40, 0, 63, 1, 0, 0, 198, 18, 1, 2, 198, 18, 0, 2]
        let checksum = internetChecksum(header)
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xff)
        DelayLine.giveBackHop(&header)
        #expect(header[8] == 64)
        #expect(internetChecksum(header) == 0, "a valid header sums to zero")
        var saturated = header
        saturated[8] = 255
        let before = saturated
        DelayLine.giveBackHop(&saturated)
        #expect(saturated == before)
    }

    @Test("the counters line round-trips")
    func countersLine() {
        let counters = DelayLine.Counters(forwarded: 12, droppedByLoss: 3, droppedOverflow: 1, failedWrites: 0)
        #expect(counters.line == "delay line counters: forwarded 12 dropped_loss 3 dropped_overflow 1 failed_writes 0")
        #expect(DelayLine.Counters(line: counters.line) == counters)
        #expect(DelayLine.Counters(line: "delay line counters: forwarded 12") == nil)
    }
}
