import GLMWire
import HomeAgentCore
import SiteAgentCore
import Testing

/// The federation through the real cores: sites that list no VM learn each VM's anchor
/// by asking every home agent at once; a home agent that lists sites by prefix; a VM at
/// home on any hypervisor of its home site; refusals that say why.
@Suite("Every site a home and a host")
struct FederationTests {
    typealias F = FederationHarness
    let t = F.start

    @Test("an unknown VM is registered with every home agent at once; its own accepts, the other says 153; one round trip")
    func anchorLearnt() {
        var f = F()
        let trace = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t)
        #expect(trace.site[F.b1]!.datagrams.map(\.to).sorted() == [F.homeAgentA, F.homeAgentB],
                "both home agents asked in the same batch")
        #expect(f.sites[F.b1]!.served.map(\.vm) == [F.vmA])
        #expect(f.sites[F.b1]!.anchor(of: F.vmA)?.name == "ha-a")
        #expect(f.homes[F.homeAgentA]!.bindings[F.vmA]?.siteAddress == F.b1)
        #expect(f.homes[F.homeAgentA]!.bindings[F.vmA]?.siteName == "site-b")
        #expect(f.homes[F.homeAgentB]!.bindings.isEmpty)
        #expect(!(trace.site[F.b1]!.compactMap(\.notice).contains { if case .refused = $0 { true } else { false } }),
                "the other home agent's 153 is the federation working, not a refusal to report")

        // The VM leaves and comes back: only its anchor is asked.
        _ = f.site(F.b1, .departed(F.vmA), at: t + 10)
        let again = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t + 20)
        #expect(again.site[F.b1]!.datagrams.map(\.to) == [F.homeAgentA])
        #expect(f.sites[F.b1]!.served.map(\.vm) == [F.vmA])
    }

    @Test("a move between two hypervisors of the foreign site: the binding follows the host, the old host is revoked")
    func moveInsideForeignSite() {
        var f = F()
        _ = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t)
        let trace = f.site(F.b2, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t + 5)
        #expect(f.homes[F.homeAgentA]!.bindings[F.vmA]?.siteAddress == F.b2)
        #expect(f.sites[F.b2]!.served.map(\.vm) == [F.vmA])
        #expect(f.sites[F.b1]!.served.isEmpty, "B1 was revoked")
        #expect(trace.wire.contains { $0 == (F.homeAgentA, F.b1) }, "the BRI went to B1's own address")
    }

    @Test("a VM on a hypervisor of its home site is home: nothing served, no binding; a return ends the binding")
    func atHome() {
        var f = F()
        _ = f.site(F.a1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t)
        #expect(f.sites[F.a1]!.states[F.vmA] == .home)
        #expect(f.sites[F.a1]!.served.isEmpty)
        #expect(f.homes[F.homeAgentA]!.bindings.isEmpty)

        // Away to B1, then back to A2 (another hypervisor of home).
        _ = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t + 5)
        #expect(f.homes[F.homeAgentA]!.bindings[F.vmA]?.siteAddress == F.b1)
        let back = f.site(F.a2, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t + 10)
        #expect(back.site[F.a2]!.datagrams.map(\.to).sorted() == [F.homeAgentA, F.homeAgentB], "A2 never saw the VM: it asks all")
        #expect(f.homes[F.homeAgentA]!.bindings.isEmpty, "the home agent ended the binding on the home hypervisor's word")
        #expect(f.sites[F.a2]!.states[F.vmA] == .home)
        #expect(f.sites[F.b1]!.served.isEmpty, "B1 was revoked")
        #expect(back.home[F.homeAgentA]!.compactMap(\.notice).contains(.atHome(vm: F.vmA, host: F.a2, prepared: false)))
    }

    @Test("a return home to another home hypervisor is prepared over the network and completed by the announce")
    func returnHomePrepared() {
        var f = F()
        _ = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t)
        let prepare = f.site(F.a2, .incoming(F.vmA), at: t + 5)
        #expect(f.sites[F.a2]!.states[F.vmA] == .returning)
        #expect(prepare.site[F.a2]!.contains { if case .claim(F.vmA, _) = $0 { true } else { false } },
                "the LAN is taught that the VM's MAC is behind A2, where the home agent's copies must go")
        #expect(f.homes[F.homeAgentA]!.preparations[F.vmA]?.site.siteAddress == F.homeAgentA,
                "the home agent copies the downlink onto the home LAN")
        #expect(prepare.home[F.homeAgentA]!.contains { if case .prepare = $0 { true } else { false } })
        #expect(f.homes[F.homeAgentA]!.bindings[F.vmA]?.siteAddress == F.b1, "a preparation never moves the binding")

        _ = f.site(F.a2, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t + 6)
        #expect(f.sites[F.a2]!.states[F.vmA] == .home)
        #expect(f.homes[F.homeAgentA]!.bindings.isEmpty)
        #expect(f.homes[F.homeAgentA]!.preparations.isEmpty)
        #expect(f.sites[F.b1]!.served.isEmpty)
    }

    @Test("a prepared return home that fails is withdrawn at the home agent")
    func returnHomeAborted() {
        var f = F()
        _ = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t)
        _ = f.site(F.a2, .incoming(F.vmA), at: t + 5)
        _ = f.site(F.a2, .aborted(F.vmA), at: t + 6)
        #expect(f.homes[F.homeAgentA]!.preparations.isEmpty)
        #expect(f.homes[F.homeAgentA]!.bindings[F.vmA]?.siteAddress == F.b1)
        #expect(f.sites[F.a2]!.states[F.vmA] == nil)
    }

    @Test("no home agent lists the VM: unanchored, each refusal shown, asked again later; once added at home it is served with no change at the site")
    func unanchoredThenAdded() throws {
        var f = F()
        let unknown = MACAddress(0x52, 0x54, 0x00, 0xcc, 0x00, 0x01)
        let trace = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: unknown)), at: t)
        #expect(f.sites[F.b1]!.states[unknown] == .unanchored)
        #expect(f.sites[F.b1]!.refusals[unknown] == ["ha-a": .notLMAForThisMobileNode, "ha-b": .notLMAForThisMobileNode])
        #expect(trace.site[F.b1]!.compactMap(\.notice).contains(.unanchored(
            unknown, refusals: ["ha-a": .notLMAForThisMobileNode, "ha-b": .notLMAForThisMobileNode], retryIn: 60)))
        #expect(f.sites[F.b1]!.nextDeadline! <= t + 60)

        // Home agent A adds the VM (a reload there); site B's configuration is unchanged.
        let added = VMPolicy(mac: unknown, address: IPv4Address(10, 1, 0, 77), prefixLength: 24, gateway: IPv4Address(10, 1, 0, 1))
        _ = f.homes[F.homeAgentA]!.reload(F.homeAgentPolicy("a", vms: [F.vmAPolicy, added]), at: t + 30)
        _ = f.site(F.b1, .timer, at: t + 60)
        #expect(f.sites[F.b1]!.served.map(\.address) == [IPv4Address(10, 1, 0, 77)])
        #expect(f.sites[F.b1]!.refusals[unknown] == nil)
    }

    @Test("a key mismatch at one home agent is loud: the unverifiable refusal is shown with its status, nothing changes")
    func keyMismatch() {
        var f = F()
        // Home agent B holds a different key for site B than site B's hypervisors do.
        f.homes[F.homeAgentB] = HomeAgentCore(policy: F.homeAgentPolicy("b", vms: [F.vmBPolicy], siteBKey: F.key(0x1bb + 0x1000)),
                                              restartCounter: 1)
        let trace = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmB)), at: t)
        let notices = trace.site[F.b1]!.compactMap(\.notice)
        // Home agent B refuses 146, signed with a key site B cannot verify: the site cannot
        // trust the answer, so nothing moves, but the VM's status and metrics say why.
        #expect(notices.contains { if case .unauthenticated(from: F.homeAgentB, _) = $0 { true } else { false } })
        #expect(notices.contains(.refused(F.vmB, homeAgent: "ha-b", status: .authenticationFailed, retryIn: nil)))
        #expect(f.sites[F.b1]!.refusals[F.vmB] == ["ha-a": .notLMAForThisMobileNode, "ha-b": .authenticationFailed])
        #expect(f.sites[F.b1]!.states[F.vmB] == .registering, "still asking home agent B, with backoff")
        #expect(f.homes[F.homeAgentB]!.bindings.isEmpty)
    }

    @Test("a home agent lists a site by prefix: any hypervisor in it registers with the site's one key")
    func siteByPrefix() {
        let policy = F.homeAgentPolicy("a", vms: [F.vmAPolicy])
        #expect(policy.site(at: F.b2)?.name == "site-b")
        #expect(policy.site(at: IPv4Address(198, 18, 3, 11)) == nil)
        #expect(policy.homeSite?.name == "site-a")
        #expect(throws: HomeAgentPolicy.Conflict.self) {
            try HomeAgentPolicy(address: F.homeAgentA, sites: [
                SitePolicy(name: "x", hosts: [IPv4Prefix(address: F.b1, length: 24)], association: F.aWithA),
                SitePolicy(name: "y", hosts: [IPv4Prefix(host: F.b2)], association: F.aWithB),
            ], vms: [])
        }
    }

    @Test("a restarted home agent asks its sites at once; they ask back and re-register within a round trip")
    func restartTold() {
        var f = F()
        _ = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA)), at: t)
        // Let one heartbeat exchange set the Restart Counter the site knows.
        _ = f.site(F.b1, .timer, at: t + 61)
        let bindings = Array(f.homes[F.homeAgentA]!.bindings.values)
        var restarted = HomeAgentCore(policy: F.homeAgentPolicy("a", vms: [F.vmAPolicy]), restartCounter: 2)
        _ = restarted.restore(bindings, at: t + 100)
        f.homes[F.homeAgentA] = restarted
        #expect(f.homes[F.homeAgentA]!.nextDeadline == t + 100, "its first heartbeat goes at once")
        let trace = f.home(F.homeAgentA, .timer, at: t + 100)
        #expect(trace.site[F.b1]!.compactMap(\.notice).contains(.homeAgentRestarted("ha-a", restartCounter: 2)))
        #expect(trace.site[F.b1]!.datagrams.contains { $0.to == F.homeAgentA }, "the VM was registered again")
        #expect(f.sites[F.b1]!.served.map(\.vm) == [F.vmA])
    }

    @Test("ARP: a served VM's requests for its home subnet are answered; its own address, other subnets and other hosts are not")
    func gatewayAnswers() {
        var f = F()
        _ = f.site(F.b1, .frame(FrameBuilder.selfAnnounce(mac: F.vmA), bridge: "br0"), at: t)
        func ask(_ sender: MACAddress, _ senderIP: IPv4Address, _ target: IPv4Address) -> [ARPAnswer] {
            let frame = FrameBuilder.ethernet(.request(senderMAC: sender, senderIPv4: senderIP, targetIPv4: target),
                                              destination: .broadcast, source: sender, padded: true)
            return f.sites[F.b1]!.handle(.frame(frame, bridge: "br0"), at: t + 1).compactMap {
                if case .answerARP(let answer) = $0 { answer } else { nil }
            }
        }
        let vmAddress = IPv4Address(10, 1, 0, 50)
        #expect(ask(F.vmA, vmAddress, IPv4Address(10, 1, 0, 1))
            == [ARPAnswer(vm: F.vmA, vmAddress: vmAddress, asked: IPv4Address(10, 1, 0, 1), bridge: "br0")])
        #expect(ask(F.vmA, vmAddress, IPv4Address(10, 1, 0, 9)).count == 1, "a home neighbour, reached through home")
        #expect(ask(F.vmA, .any, vmAddress).isEmpty, "its own address: a duplicate-address probe")
        #expect(ask(F.vmA, vmAddress, IPv4Address(10, 2, 0, 1)).isEmpty, "not its home subnet")
        #expect(ask(MACAddress(0x02, 0, 0, 0, 0, 9), IPv4Address(10, 2, 0, 9), IPv4Address(10, 1, 0, 1)).isEmpty,
                "another host of the LAN asking for the VM's gateway")
    }
}
