import Foundation
import Testing
@testable import LabVM

/// What the lab's VM code reads from QEMU and the guest, from captured text: no root,
/// no QEMU.
@Suite struct GuestTranscriptTests {
    @Test func consoleAnswerIsTheOutputBetweenTheMarkersNotTheEcho() {
        // As the console shows it: the echoed command line (markers split by quotes),
        // then the shell's output with CR LF line ends, then the next prompt.
        let transcript = "glm-guest# echo GLM-BEGIN\"\"-7-ab; ip route; echo GLM-END\"\"-7-ab $?\r\n"
            + "GLM-BEGIN-7-ab\r\ndefault via 10.10.0.1 dev eth0 \r\n10.10.0.0/24 dev eth0 scope link  src 10.10.0.50 \r\n"
            + "GLM-END-7-ab 0\r\nglm-guest# "
        let answer = GuestConsole.answer(in: transcript, begin: "GLM-BEGIN-7-ab", end: "GLM-END-7-ab")
        #expect(answer?.status == 0)
        #expect(answer?.output == "default via 10.10.0.1 dev eth0 \n10.10.0.0/24 dev eth0 scope link  src 10.10.0.50 ")
    }

    @Test func consoleAnswerWaitsForTheWholeEndLine() {
        let partial = "GLM-BEGIN-1-x\r\nhello\r\nGLM-END-1-x 1"
        #expect(GuestConsole.answer(in: partial, begin: "GLM-BEGIN-1-x", end: "GLM-END-1-x") == nil)
        let whole = partial + "27\r\n"
        let answer = GuestConsole.answer(in: whole, begin: "GLM-BEGIN-1-x", end: "GLM-END-1-x")
        #expect(answer?.status == 127)
        #expect(answer?.output == "hello")
        // Another command's markers are not this one's.
        #expect(GuestConsole.answer(in: whole, begin: "GLM-BEGIN-1-y", end: "GLM-END-1-y") == nil)
    }

    @Test func networkConfigurationFromBusyboxIP() {
        let address = """
            2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel qlen 1000
                inet 10.10.0.50/24 scope global eth0
                   valid_lft forever preferred_lft forever
            """
        let routes = "default via 10.10.0.1 dev eth0 \n10.10.0.0/24 dev eth0 scope link  src 10.10.0.50 \n"
        let configuration = GuestNetworkConfiguration(interface: "eth0", addressOutput: address, routeOutput: routes)
        #expect(configuration.addresses == ["10.10.0.50/24"])
        #expect(configuration.defaultGateway == "10.10.0.1")
        #expect(configuration.routes == ["default via 10.10.0.1 dev eth0",
                                         "10.10.0.0/24 dev eth0 scope link src 10.10.0.50"])
        let withoutGateway = GuestNetworkConfiguration(interface: "eth0", addressOutput: address,
                                                       routeOutput: "10.10.0.0/24 dev eth0 scope link")
        #expect(withoutGateway.defaultGateway == nil)
        #expect(withoutGateway != configuration)
    }

    @Test func qmpEventKeepsQEMUsWallClock() throws {
        let message = try JSONValue.parse(
            #"{"timestamp": {"seconds": 1795562125, "microseconds": 822455}, "event": "RESUME"}"#)
        let event = try #require(QMPEvent(message: message))
        #expect(event.name == "RESUME")
        #expect(event.data == .null)
        #expect(abs(event.timestamp - 1_795_562_125.822455) < 1e-6)
        #expect(QMPEvent(message: ["return": [:]]) == nil)

        let migration = try JSONValue.parse(
            #"{"timestamp": {"seconds": 10, "microseconds": 5}, "event": "MIGRATION", "data": {"status": "completed"}}"#)
        #expect(QMPEvent(message: migration)?.data["status"]?.string == "completed")
    }

    @Test func jsonValuesRoundTripAsQMPSpeaksThem() throws {
        let greeting = #"{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}"#
        let value = try JSONValue.parse(greeting)
        #expect(value["QMP"]?["version"]?["qemu"]?["major"]?.int == 7)
        #expect(value["QMP"]?["capabilities"]?.array == ["oob"])
        let command: JSONValue = ["execute": "migrate-set-parameters",
                                  "arguments": ["max-bandwidth": 8_589_934_592, "downtime-limit": 300, "x": true]]
        #expect(command.description == #"{"arguments":{"downtime-limit":300,"max-bandwidth":8589934592,"x":true},"execute":"migrate-set-parameters"}"#)
        #expect(try JSONValue.parse(command.description) == command)
        #expect(try JSONValue.parse("[false, null, 1.5]") == [false, .null, 1.5])
    }

    @Test func kernelPackageIsReadFromApt() {
        let depends = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n"
        #expect(KernelPackage.versionedName(fromDepends: depends) == "linux-image-6.1.0-56-cloud-amd64")
        #expect(KernelPackage.versionedName(fromDepends: "linux-image-cloud-amd64\n") == nil)
        let policy = "linux-image-6.1.0-56-cloud-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-2\n  Version table:\n"
        #expect(KernelPackage.candidate(fromPolicy: policy) == "6.1.192-2")
        #expect(KernelPackage.candidate(fromPolicy: "x:\n  Installed: (none)\n  Candidate: (none)\n") == nil)
    }

    @Test func cacheKeyFollowsEveryInput() {
        let package = KernelPackage(name: "linux-image-6.1.0-56-cloud-amd64", version: "6.1.192-2")
        let key = GuestImage.cacheKey(package: package, busyboxVersion: "1:1.35.0-4+b3")
        #expect(key == GuestImage.cacheKey(package: package, busyboxVersion: "1:1.35.0-4+b3"))
        #expect(key.count == 16)
        #expect(key != GuestImage.cacheKey(package: KernelPackage(name: package.name, version: "6.1.192-3"),
                                           busyboxVersion: "1:1.35.0-4+b3"))
        #expect(key != GuestImage.cacheKey(package: package, busyboxVersion: "1:1.36.1-1"))
    }

    @Test func initLoadsTheModulesInDependencyOrderAndReadsTheCommandLine() {
        #expect(GuestInit.modules == ["virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
                                      "virtio_pci", "failover", "net_failover", "virtio_net"])
        #expect(GuestInit.script.hasPrefix("#!/bin/busybox sh\n"))
        #expect(GuestInit.script.contains("for module in virtio_ring virtio virtio_pci_modern_dev"))
        let line = GuestImage.kernelCommandLine(address: "10.10.0.50/24", gateway: "10.10.0.1")
        #expect(line == "console=ttyS0 quiet ipv6.disable=1 glm.ip=10.10.0.50/24 glm.gw=10.10.0.1")
        #expect(!GuestImage.kernelCommandLine(address: "10.10.0.50/24", gateway: nil).contains("glm.gw"))
    }
}
