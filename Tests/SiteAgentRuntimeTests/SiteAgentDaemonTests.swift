import AgentRuntime
import Foundation
import GLMControl
import GLMWire
import SiteAgentCore
import SiteAgentRuntime
import Testing

/// The site agent daemon against the real home agent daemon, over real UDP sockets on
/// loopback addresses.
@Suite("site-agent daemon with the real home agent", .serialized)
struct SiteAgentDaemonTests {
    let vm = LoopbackAgents.vm

    @Test("notify arrived at A: bound at home for site-a and served at A; then at B: moved, A revoked and torn down")
    func arrivalThenMove() async throws {
        try await LoopbackAgents.with { agents in
            agents.siteA.submit(.arrived(vm))
            #expect(await eventually { await agents.boundSites() == ["site-a"] })
            #expect(await eventually { await agents.siteA.served().map(\.vm) == [vm] })
            let served = try #require(await agents.siteA.served().first)
            #expect(served.address == IPv4Address(10, 10, 0, 50))
            #expect(served.prefixLength == 24)
            #expect(served.gateway == IPv4Address(10, 10, 0, 1))
            #expect(served.homeAgent == IPv4Address(127, 0, 0, 1))
            let statusA = try await LoopbackAgents.status(agents.siteA)
            #expect(statusA.vms == [SiteAgentStatus.VM(mac: "\(vm)", state: "served", homeAgent: "home",
                                                       address: "10.10.0.50/24", gateway: "10.10.0.1")])

            agents.siteB.submit(.arrived(vm))
            #expect(await eventually { await agents.boundSites() == ["site-b"] })
            #expect(await eventually { await agents.siteB.served().map(\.vm) == [vm] })
            // The home agent's BRI reaches A, which stops serving the VM and answers with a BRA.
            #expect(await eventually { await agents.siteA.states().isEmpty })
            #expect(try await LoopbackAgents.status(agents.siteA).vms.isEmpty)
            #expect(await eventually { agents.homeLog.contains("revocation acknowledged") })
            #expect(try await LoopbackAgents.status(agents.siteB).vms.map(\.state) == ["served"])
        }
    }

    @Test("QEMU's announce captured on A's bridge registers the VM; a VM the home agent does not list is unanchored, loudly")
    func announceFrame() async throws {
        try await LoopbackAgents.with { agents in
            let stranger = MACAddress(0x52, 0x54, 0x00, 0x99, 0x99, 0x99)
            agents.siteA.submit(.frame(FrameBuilder.selfAnnounce(mac: stranger)))
            agents.siteA.submit(.frame(FrameBuilder.selfAnnounce(mac: vm)))
            #expect(await eventually { await agents.boundSites() == ["site-a"] })
            #expect(await eventually { await agents.siteA.served().map(\.vm) == [vm] })
            #expect(await eventually { await agents.siteA.states()[stranger] == .unanchored })
            let status = try await LoopbackAgents.status(agents.siteA).vms.first { $0.mac == "\(stranger)" }
            #expect(status?.state == "unanchored")
            #expect(status?.refusals == ["home: 153 (not-lma-for-this-mobile-node)"])
        }
    }

    @Test("notify over the control socket: arrived registers, departed releases; bad requests are refused")
    func controlSocket() async throws {
        try await LoopbackAgents.with { agents in
            let path = agents.directory + "/site-a.sock"
            let site = agents.siteA
            let socket = try await ControlSocket.bind(path: path) { await SiteAgentControl.answer($0, daemon: site) }

            let client = ControlClient(path: path)
            // `arrived` answers once the home agent has: served here.
            let arrived = try await client.raw(.notify(.arrived, vm: "\(vm)"))
            #expect(String(decoding: arrived, as: UTF8.self) == "{\"ok\":true,\"state\":\"served\"}")
            #expect(await agents.siteA.served().map(\.vm) == [vm])
            // A VM no home agent lists: the answer is an error naming each refusal.
            let stranger = try await client.raw(.notify(.arrived, vm: "52:54:00:99:99:99"))
            #expect(String(decoding: stranger, as: UTF8.self)
                == "{\"error\":\"no home agent accepts 52:54:00:99:99:99: home: 153 (not-lma-for-this-mobile-node)\"}")
            let status: SiteAgentStatus = try await client.call(.status)
            #expect(status.vms.map(\.state) == ["served", "unanchored"], "\(status.vms)")
            #expect(status.homeAgents.map(\.name) == ["home"] && !status.draining)

            let departed = try await client.raw(.notify(.departed, vm: "\(vm)"))
            #expect(String(decoding: departed, as: UTF8.self) == "{\"ok\":true}")
            #expect(await eventually { await agents.siteA.states()[vm] == nil })

            let bad = ["{\"request\":\"notify\",\"event\":\"moved\",\"vm\":\"\(vm)\"}",
                       "{\"request\":\"notify\",\"event\":\"arrived\",\"vm\":\"52:54\"}",
                       "{\"request\":\"reboot\"}", "notify arrived \(vm)", "{\"request\":\"revoke\",\"vm\":\"\(vm)\"}"]
            let before = await agents.siteA.states()
            for line in bad {
                let answer = String(decoding: try await client.raw(line: line), as: UTF8.self)
                #expect(answer.hasPrefix("{\"error\":"), "\(line): \(answer)")
            }
            #expect(await agents.siteA.states() == before, "bad requests change nothing")
            await socket.close()
        }
    }
}
