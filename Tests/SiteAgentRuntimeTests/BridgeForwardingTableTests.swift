import GLMWire
import SiteAgentRuntime
import Testing

@Suite("bridge forwarding table")
struct BridgeForwardingTableTests {
    @Test("Learnt unicast MACs are read; the host's permanent entries and group addresses are not")
    func learnt() {
        let output = """
            33:33:00:00:00:01 dev br0 self permanent
            fe:54:00:12:34:56 dev vnet0 vlan 1 master br0 permanent
            52:54:00:12:34:56 dev vnet0 master br0
            01:00:5e:00:00:01 dev br0 self permanent
            52:54:00:aa:00:01 dev vnet1 master br0
            52:54:00:12:34:56 dev vnet0 vlan 1 master br0

            """
        #expect(BridgeForwardingTable.learnedMACs(in: output) == [MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56),
                                                                 MACAddress(0x52, 0x54, 0, 0xaa, 0, 1)])
        #expect(BridgeForwardingTable.learnedMACs(in: "").isEmpty)
    }
}
