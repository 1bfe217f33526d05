import Foundation
import LabSupport
import Testing
@testable import LabVM

/// Starting QEMU where it cannot run fails at once, with QEMU's or iproute2's words.
@Suite(.serialized) struct VirtualMachineTests {
    @Test func startingInAMissingNamespaceFailsWithTheReason() async throws {
        guard VMTestTools.forVM("VM start tests") != nil else { return }
        let image = try await GuestImage.prepare()
        let folder = "/tmp/glm-vm-\(getpid())-missing"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = VirtualMachine.Configuration(
            name: "lost", namespace: "glm-no-such-namespace-\(getpid())", tap: "vmtap", mac: "52:54:00:12:34:56",
            address: "10.10.0.50/24", gateway: "10.10.0.1", folder: folder)
        let clock = ContinuousClock()
        let begin = clock.now
        let error = await #expect(throws: LabVMError.self) {
            try await VirtualMachine.start(configuration, image: image)
        }
        #expect(error?.code == .startFailed)
        #expect(error?.description.contains(configuration.namespace) == true, "\(String(describing: error))")
        #expect(clock.now - begin < .seconds(10), "a QEMU that cannot start is reported at once")
        print("VM start refused as expected: \(error.map { "\($0)" } ?? "-")")
    }

    @Test func aMissingTapIsRefusedRatherThanCreatedUnbridged() async throws {
        guard let tools = VMTestTools.forVM("VM start tests") else { return }
        let image = try await GuestImage.prepare()
        let namespace = "glm-vmt-\(getpid())"
        let folder = "/tmp/glm-vm-\(getpid())-notap"
        let added = try await ProgramRun.run(tools.ip, ["netns", "add", namespace])
        try #require(added.succeeded, "\(added.standardError)")
        let configuration = VirtualMachine.Configuration(
            name: "notap", namespace: namespace, tap: "vmtap", mac: "52:54:00:12:34:56",
            address: "10.10.0.50/24", gateway: nil, folder: folder)
        let error = await #expect(throws: LabVMError.self) {
            try await VirtualMachine.start(configuration, image: image)
        }
        _ = try await ProgramRun.run(tools.ip, ["netns", "delete", namespace])
        try? FileManager.default.removeItem(atPath: folder)
        #expect(error?.code == .startFailed)
        #expect(error?.description.contains("no TAP vmtap in namespace \(namespace)") == true, "\(String(describing: error))")
    }

    @Test func aSocketPathTooLongForUnixSocketsIsRefusedBeforeStarting() async throws {
        guard VMTestTools.forVM("VM start tests") != nil else { return }
        let image = try await GuestImage.prepare()
        let configuration = VirtualMachine.Configuration(
            name: "long", namespace: "unused", tap: "vmtap", mac: "52:54:00:12:34:56", address: "10.10.0.50/24",
            gateway: nil, folder: "/tmp/" + String(repeating: "x", count: 120))
        defer { try? FileManager.default.removeItem(atPath: configuration.folder) }
        let error = await #expect(throws: LabVMError.self) {
            try await VirtualMachine.start(configuration, image: image)
        }
        #expect(error?.code == .startFailed)
    }
}
