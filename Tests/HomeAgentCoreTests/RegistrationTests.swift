import GLMWire
import HomeAgentCore
import NIOCore
import Testing

@Suite("Registration: acceptance and refusals")
struct RegistrationTests {
    let t = Harness.start

    /// Registers the VM at site A, then checks that `bytes` from `site` is refused with
    /// `status` and that nothing about the binding changed.
    func expectRefusal(_ status: BindingAcknowledgementStatus, _ build: (inout Harness) -> (ByteBuffer, Harness.Site),
                       sourceLocation: SourceLocation = #_sourceLocation) {
        var harness = Harness()
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        let before = harness.core.bindings
        let (bytes, site) = build(&harness)
        let actions = harness.handle(site.event(bytes), at: t + 1)
        #expect(actions.acknowledgements.map(\.status) == [status], sourceLocation: sourceLocation)
        #expect(actions.acknowledgements.first?.lifetimeUnits == 0, sourceLocation: sourceLocation)
        #expect(!actions.touchesBindings, sourceLocation: sourceLocation)
        #expect(harness.core.bindings == before, sourceLocation: sourceLocation)
        #expect(actions.notices.contains { if case .registrationRefused(status, _, _, _) = $0 { true } else { false } },
                sourceLocation: sourceLocation)
    }

    @Test("each refusal has its status and touches nothing")
    func refusals() {
        let t = self.t
        expectRefusal(.authenticationFailed) { h in
            (h.siteB.update(at: t + 1, key: SecurityAssociation(spi: 0x102, key: Array(repeating: 1, count: 32))!), h.siteB)
        }
        expectRefusal(.authenticationFailed) { h in
            // Signed with A's association but sent from B: the SPI is not B's.
            (h.siteB.update(at: t + 1, key: h.siteA.association), h.siteB)
        }
        expectRefusal(.proxyRegistrationNotEnabled) { h in (h.siteB.update(at: t + 1, flags: [.acknowledge]), h.siteB) }
        expectRefusal(.missingMobileNodeIdentifier) { h in
            (h.siteB.update(at: t + 1, options: [.timestamp(PMIPTimestamp(secondsSince1970: t + 1)!),
                                                  .ipv4HomeAddressRequest(IPv4HomeAddressRequest())]), h.siteB)
        }
        expectRefusal(.notLMAForThisMobileNode) { h in (h.siteB.update(MACAddress(2, 0, 0, 0, 0, 99), at: t + 1), h.siteB) }
        expectRefusal(.magNotAuthorizedForProxyRegistration) { h in (h.siteB.update(Harness.tenantVM, at: t + 1), h.siteB) }
        expectRefusal(.notAuthorizedForIPv4Mobility) { h in
            (h.siteB.update(at: t + 1, options: [.mobileNodeIdentifier(.eui48(Harness.vm)),
                                                  .timestamp(PMIPTimestamp(secondsSince1970: t + 1)!)]), h.siteB)
        }
        expectRefusal(.notAuthorizedForIPv4HomeAddress) { h in
            (h.siteB.update(at: t + 1, options: [.mobileNodeIdentifier(.eui48(Harness.vm)),
                                                  .timestamp(PMIPTimestamp(secondsSince1970: t + 1)!),
                                                  .ipv4HomeAddressRequest(IPv4HomeAddressRequest(prefixLength: 24, address: IPv4Address(10, 10, 0, 51)))]), h.siteB)
        }
        expectRefusal(.timestampMismatch) { h in
            (h.siteB.update(at: t + 1, options: [.mobileNodeIdentifier(.eui48(Harness.vm)),
                                                  .ipv4HomeAddressRequest(IPv4HomeAddressRequest())]), h.siteB)
        }
        expectRefusal(.timestampMismatch) { h in (h.siteB.update(at: t + 1.301), h.siteB) }
        expectRefusal(.greKeyRequired) { h in (h.siteA.update(Harness.tenantVM, at: t + 1), h.siteA) }
    }

    @Test("the validity window holds at its edge")
    func windowEdge() {
        var harness = Harness()
        let actions = harness.handle(harness.siteA.event(harness.siteA.update(at: t - 0.299)), at: t)
        #expect(actions.acknowledgements.first?.status == .accepted)
    }

    @Test("malformed input and unknown peers get no reply and touch nothing")
    func silentDrops() {
        var harness = Harness()
        let garbage = harness.handle(harness.siteA.event(ByteBuffer(bytes: [59, 1, 5, 0])), at: t)
        #expect(garbage.sent.isEmpty && !garbage.touchesBindings)
        #expect(garbage.notices.contains { if case .malformed = $0 { true } else { false } })
        let strangerUpdate = harness.stranger.update(at: t)
        let unknown = harness.handle(harness.stranger.event(strangerUpdate), at: t)
        #expect(unknown.sent.isEmpty && !unknown.touchesBindings)
        #expect(unknown.notices == [.unknownPeer(harness.stranger.address)])
    }

    @Test("a tenant VM gets its GRE key and the TLV format")
    func tenantKey() throws {
        var harness = Harness()
        let actions = harness.handle(harness.siteA.event(harness.siteA.update(
            Harness.tenantVM, at: t, flags: [.acknowledge, .proxy, .tlvHeaderFormat])), at: t)
        let pba = try #require(actions.acknowledgements.first)
        #expect(pba.status == .accepted)
        #expect(pba.options.greKey == .some(4097))
        #expect(pba.flags.contains(.tlvHeaderFormat))
        #expect(harness.core.bindings[Harness.tenantVM]?.framing == .tlvGRE(key: 4097))
    }

    @Test("a VM registered by its name (NAI) is the same VM")
    func byName() throws {
        var harness = Harness()
        let actions = harness.handle(harness.siteA.event(harness.siteA.update(at: t, options: [
            .mobileNodeIdentifier(.nai("vm-1@tenant.example")), .timestamp(PMIPTimestamp(secondsSince1970: t)!),
            .ipv4HomeAddressRequest(IPv4HomeAddressRequest())])), at: t)
        #expect(actions.acknowledgements.first?.status == .accepted)
        #expect(harness.core.bindings[Harness.vm] != nil)
    }

    @Test("PBAs are signed for the site and answer to its source port")
    func replyPath() throws {
        var harness = Harness()
        harness.siteA.port = 40123
        let actions = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        guard case .send(let bytes, let to, let port) = try #require(actions.first { if case .send = $0 { true } else { false } }) else { return }
        #expect(to == harness.siteA.address && port == 40123)
        let header = try MobilityHeader(decoding: bytes)
        let verdict = SecurityAssociations([harness.siteA.association]).verify(
            header, bytes: bytes, scope: AuthenticationScope(sender: Harness.home, receiver: harness.siteA.address))
        #expect(verdict == .verified(spi: harness.siteA.association.spi))
    }

    @Test("de-registration from the current site removes the binding")
    func deregistration() {
        var harness = Harness()
        _ = harness.handle(harness.siteA.event(harness.siteA.update(at: t)), at: t)
        let actions = harness.handle(harness.siteA.event(harness.siteA.update(at: t + 1, lifetime: 0)), at: t + 1)
        #expect(harness.core.bindings.isEmpty)
        #expect(actions.acknowledgements.first?.status == .accepted)
        #expect(actions.contains { if case .unpersist(Harness.vm) = $0 { true } else { false } })
        #expect(actions.revocations.isEmpty, "the site asked; no revocation")
    }
}
