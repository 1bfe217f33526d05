import Foundation
import LabSupport
import Testing
@testable import LabVM

/// A real QEMU VM booted at one site and live-migrated to another: the guest keeps its
/// address, the destination's bridge sees QEMU's RARP announces, and the guest answers
/// from its new site only.
@Suite(.serialized) struct LiveMigrationTests {
    @Test(.timeLimit(.minutes(2)))
    func migratedGuestKeepsItsConfigurationAndAnnouncesItselfAtTheDestination() async throws {
        guard let tools = VMTestTools.forVM("live migration tests") else { return }
        let image = try await GuestImage.prepare { print("guest image: \($0)") }
        let lab = try await TwoSiteLab.create(ip: tools.ip)
        do {
            try await migrate(in: lab, image: image, tools: tools)
        } catch {
            await lab.remove()
            throw error
        }
        await lab.remove()
    }

    private func migrate(in lab: TwoSiteLab, image: GuestImage, tools: VMTestTools) async throws {
        // Boot at the source and wait for the guest to answer.
        let source = try await lab.start(lab.configuration("vma", in: lab.source), image: image)
        let booted = try await source.waitUntilBooted()
        let answered = await waitUntil(timeout: .seconds(20)) { await lab.pingVM(from: lab.source, ping: tools.ping) }
        try #require(answered, "the guest never answered ping at the source")
        let pingable = Date().timeIntervalSince(source.started)
        #expect(try await source.runState() == "running")
        let refusal = await #expect(throws: QMPCommandError.self) { try await source.qmp.execute("glm-no-such-command") }
        #expect(refusal?.errorClass == "CommandNotFound")

        let sourceConsole = try await source.console()
        try await sourceConsole.waitForShell(timeout: .seconds(20))
        let before = try await sourceConsole.networkConfiguration()
        #expect(before.addresses == ["\(TwoSiteLab.vmAddress)/24"])
        #expect(before.defaultGateway == TwoSiteLab.gateway)

        // The destination waits for the migration stream; its bridge is captured.
        let stream = "\(lab.folder)/mig.sock"
        let destination = try await lab.start(lab.configuration("vmb", in: lab.destination), image: image,
                                              incoming: stream)
        #expect(try await destination.runState() == "inmigrate")
        let capture = "\(lab.folder)/destination-br0.pcap"
        let tcpdump = try lab.spawn(lab.destination, [tools.tcpdump, "-i", "br0", "-U", "-n", "-w", capture])
        let listening = await waitUntil(timeout: .seconds(10)) { tcpdump.standardError.contains("listening on") }
        try #require(listening, "tcpdump did not start on the destination's br0: \(tcpdump.standardError)")

        let outcome = try await LiveMigration().run(from: source, to: destination)

        // QEMU's figures, and the switch-over seen by both monitors.
        #expect(outcome.downtime > .zero)
        #expect(outcome.totalTime > outcome.downtime)
        let stopped = try #require(outcome.sourceStoppedAt)
        let resumed = try #require(outcome.destinationResumedAt)
        #expect(stopped <= resumed)
        #expect(try await destination.runState() == "running")
        #expect(!source.isRunning, "the source QEMU quits after the migration")

        // QEMU announces the VM on the destination's bridge: 5 RARPs over ~0.8 s.
        var announces: [Double] = []
        _ = await waitUntil(timeout: .seconds(3)) {
            announces = (try? AnnounceFrames(pcapFile: capture, mac: TwoSiteLab.vmMAC).timestamps) ?? []
            return announces.count >= 5
        }
        tcpdump.signal(SIGINT)
        _ = await tcpdump.waitForExit(timeout: .seconds(5))
        announces = try AnnounceFrames(pcapFile: capture, mac: TwoSiteLab.vmMAC).timestamps
        #expect(announces.count == 5, "QEMU's default announce is 5 RARPs; saw \(announces.count)")
        if let first = announces.first {
            #expect(first >= resumed - 0.05 && first - resumed < 1, "the first RARP follows RESUME")
        }

        // The guest answers at its new site only, and reports the same configuration.
        let answersAtDestination = await waitUntil(timeout: .seconds(10)) {
            await lab.pingVM(from: lab.destination, ping: tools.ping)
        }
        #expect(answersAtDestination, "the migrated guest did not answer ping at the destination")
        #expect(await !lab.pingVM(from: lab.source, ping: tools.ping), "the source site still reaches a VM")
        let destinationConsole = try await destination.console()
        let after = try await destinationConsole.networkConfiguration()
        #expect(after == before, "before: \(before); after: \(after)")

        let announceOffsets = announces.map { String(format: "%.1f", ($0 - resumed) * 1000) }
        print("""
            lab VM: booted in \(booted) (ping answered \(String(format: "%.2f", pingable)) s after start); \
            migration \(outcome); \
            \(announces.count) RARP announces at +[\(announceOffsets.joined(separator: ", "))] ms after RESUME; \
            guest configuration kept: \(after)
            """)
    }
}
