@testable import AgentRuntime
import Foundation
import GLMWire
import LabSupport
import Testing

/// The configurator's journal: what a process killed before its teardown left in the OS,
/// undone by the next one.
@Suite("Network journal")
struct NetworkJournalTests {
    static func scratchFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("glm-journal-\(UUID().uuidString)/agent.network").path
    }

    @Test func replaysAdditionsRemovalsAndSysctls() throws {
        let path = Self.scratchFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var journal = NetworkJournal(path: path)
        #expect(NetworkJournal.read(path: path) == nil)
        #expect(journal.append([.sysctl(path: "net/ipv4/ip_forward", value: "0"),
                                .installed(undo: "neigh del proxy 10.0.0.5 dev br0"),
                                .installed(undo: "neigh del proxy 10.0.0.50 dev br0"),
                                .sysctl(path: "net/ipv4/neigh/br0/proxy_delay", value: "80"),
                                .sysctl(path: "net/ipv4/ip_forward", value: "1")]) == nil)
        #expect(journal.append([.removed(undo: "neigh del proxy 10.0.0.5 dev br0"),
                                .sysctlForgotten(path: "net/ipv4/neigh/br0/proxy_delay")]) == nil)
        let contents = try #require(NetworkJournal.read(path: path))
        #expect(contents.undo == ["neigh del proxy 10.0.0.50 dev br0"])
        // The first value seen is the original; a later record does not replace it.
        #expect(contents.sysctls.map(\.path) == ["net/ipv4/ip_forward"])
        #expect(contents.sysctls.map(\.value) == ["0"])
        journal.remove()
        #expect(NetworkJournal.read(path: path) == nil)
    }

    @Test func aTornLastRecordIsNotReplayed() throws {
        let path = Self.scratchFile()
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Cut short, the second command would delete another VM's entry.
        try "+ neigh del proxy 10.0.0.50 dev br0\n+ neigh del proxy 10.0.0.5".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(NetworkJournal.read(path: path)?.undo == ["neigh del proxy 10.0.0.50 dev br0"])
    }

    @Test func compactsWhenDeadRecordsDominate() throws {
        let path = Self.scratchFile()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        var journal = NetworkJournal(path: path)
        var live = NetworkJournal.Contents()
        for index in 0..<200 {
            let undo = "neigh del proxy 10.0.\(index / 256).\(index % 256) dev br0"
            live.undo.append(undo)
            #expect(journal.append([.installed(undo: undo)]) == nil)
            if index % 10 != 0 {
                live.undo.removeLast()
                #expect(journal.append([.removed(undo: undo)]) == nil)
            }
            // As the configurator does after each change.
            if journal.needsCompaction(live: live.undo.count) { #expect(journal.rewrite(live) == nil) }
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count < 100, "\(text.split(separator: "\n").count) lines for 20 entries")
        #expect(NetworkJournal.read(path: path) == live)
    }
}

extension NetworkConfiguratorTests {
    @Test func aSuccessorUndoesWhatAKilledConfiguratorLeft() throws {
        guard let ip = Self.prerequisites() else { return }
        let (link, removeLink) = try Self.vethPair(ip)
        defer { removeLink() }
        let journal = NetworkJournalTests.scratchFile()
        defer { try? FileManager.default.removeItem(atPath: (journal as NSString).deletingLastPathComponent) }
        let target = IPv4Address(198, 51, 100, 17)
        let proxyDelay = Sysctl.ipv4Neighbour("proxy_delay", interface: link)
        let originalDelay = Self.contents("/proc/sys/\(proxyDelay.path)")

        // The first process installs, then dies without its teardown.
        do {
            let killed = NetworkConfigurator(journal: journal)
            #expect(try killed.recover().undone == 0)
            // While it runs, a second process with the same journal undoes nothing.
            #expect(throws: NetworkConfigurationError.self) { try NetworkConfigurator(journal: journal).recover() }
            try killed.apply([.route(to: target, device: link), .neighbourProxy(target, device: link),
                              .rule(from: target, table: 4244, priority: 4244)])
            try killed.set(proxyDelay, to: "0")
            try killed.revert([.route(to: target, device: link)])
        }
        #expect(try ProgramRun(ip, ["neigh", "show", "proxy", "dev", link]).standardOutput.contains("198.51.100.17"))
        #expect(Self.contents("/proc/sys/\(proxyDelay.path)") == "0")

        let successor = NetworkConfigurator(journal: journal)
        let recovered = try successor.recover()
        #expect(recovered.undone == 2 && recovered.failures.isEmpty, "\(recovered)")
        #expect(try ProgramRun(ip, ["neigh", "show", "proxy", "dev", link]).standardOutput.isEmpty)
        #expect(try !ProgramRun(ip, ["rule", "show"]).standardOutput.contains("lookup 4244"))
        #expect(Self.contents("/proc/sys/\(proxyDelay.path)") == originalDelay)
        #expect(!FileManager.default.fileExists(atPath: journal))

        // The successor journals its own changes, and a clean teardown leaves no journal.
        try successor.apply([.neighbourProxy(target, device: link)])
        #expect(NetworkJournal.read(path: journal)?.undo == ["neigh del proxy 198.51.100.17 dev \(link)"])
        #expect(successor.teardown().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: journal))
    }
}
