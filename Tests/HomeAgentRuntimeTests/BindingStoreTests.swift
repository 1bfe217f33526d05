import Foundation
import GLMWire
import HomeAgentCore
import HomeAgentRuntime
import Testing

enum BindingSamples {
    /// A binding whose every field depends on `index`, so a row mixed up with another
    /// shows.
    static func binding(_ index: Int, framing: TunnelFrame.Format? = nil) -> Binding {
        let formats: [TunnelFrame.Format] = [.bare, .tlv, .tlvGRE(key: nil), .tlvGRE(key: UInt32(truncatingIfNeeded: index &* 7919))]
        let registeredAt = 1_750_000_000.25 + Double(index)
        return Binding(vm: MACAddress(rawValue: 0x5254_0000_0000 | UInt64(index))!,
                       homeAddress: IPv4Address(rawValue: 0x0a0a_0000 | UInt32(truncatingIfNeeded: index)),
                       siteName: "site-\(index % 5)",
                       siteAddress: IPv4Address(198, 18, UInt8(index % 5), 2),
                       sitePort: UInt16(truncatingIfNeeded: 5436 + index),
                       timestamp: PMIPTimestamp(secondsSince1970: registeredAt)!,
                       sequenceNumber: UInt16(truncatingIfNeeded: index &* 31),
                       lifetime: 3600,
                       registeredAt: registeredAt,
                       expiresAt: registeredAt + 3600,
                       framing: framing ?? formats[index % formats.count])
    }
}

@Suite("Binding store")
struct BindingStoreTests {
    /// Revocations at the edges of every field; two of them of one VM at two sites.
    static let edgeRevocations: [Revocation] = [
        Revocation(vm: MACAddress(0, 0, 0, 0, 0, 1), siteAddress: IPv4Address(rawValue: 0), sitePort: 0,
                   trigger: .unspecified, timestamp: PMIPTimestamp(rawValue: 0)),
        Revocation(vm: MACAddress(0, 0, 0, 0, 0, 1), siteAddress: IPv4Address(198, 18, 2, 2), sitePort: 5436,
                   trigger: .interMAGHandoverSameAccessType, timestamp: PMIPTimestamp(rawValue: 0x8000_0000_0000_0001)),
        Revocation(vm: MACAddress(rawValue: 0xFFFF_FFFF_FFFF)!, siteAddress: IPv4Address(rawValue: .max), sitePort: .max,
                   trigger: RevocationTrigger(rawValue: .max), timestamp: PMIPTimestamp(rawValue: .max)),
    ]

    /// Bindings at the edges of every field, one per framing.
    static let edgeBindings: [Binding] = [
        Binding(vm: MACAddress(0, 0, 0, 0, 0, 1), homeAddress: IPv4Address(rawValue: 0), siteName: "",
                siteAddress: IPv4Address(rawValue: 0), sitePort: 0, timestamp: PMIPTimestamp(rawValue: 0),
                sequenceNumber: 0, lifetime: 0, registeredAt: 0, expiresAt: 0, framing: .bare),
        Binding(vm: MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xfe), homeAddress: IPv4Address(rawValue: .max),
                siteName: "site-ü ✓", siteAddress: IPv4Address(rawValue: .max), sitePort: .max,
                timestamp: PMIPTimestamp(rawValue: .max), sequenceNumber: .max, lifetime: 262_140,
                registeredAt: 1_750_000_000.123456789, expiresAt: 1_750_262_140.987654321, framing: .tlv),
        Binding(vm: MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x56), homeAddress: IPv4Address(10, 10, 0, 50),
                siteName: "site-a", siteAddress: IPv4Address(198, 18, 1, 2), sitePort: 5436,
                timestamp: PMIPTimestamp(rawValue: 1 << 63 | 0x1234), sequenceNumber: 32768, lifetime: 0.5,
                registeredAt: -1.5, expiresAt: 1e300, framing: .tlvGRE(key: nil)),
        Binding(vm: MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x57), homeAddress: IPv4Address(10, 10, 0, 51),
                siteName: "site-b", siteAddress: IPv4Address(198, 18, 2, 2), sitePort: 40000,
                timestamp: PMIPTimestamp(seconds: 1_750_000_000, fraction: 0x8000)!, sequenceNumber: 1,
                lifetime: 3600, registeredAt: 1_750_000_000.5, expiresAt: 1_750_003_600.5, framing: .tlvGRE(key: 0)),
        Binding(vm: MACAddress(0x52, 0x54, 0, 0x12, 0x34, 0x58), homeAddress: IPv4Address(10, 10, 0, 52),
                siteName: "site-c", siteAddress: IPv4Address(198, 18, 3, 2), sitePort: 5436,
                timestamp: PMIPTimestamp(seconds: 1_750_000_001, fraction: 1)!, sequenceNumber: 65534,
                lifetime: 60, registeredAt: 1_750_000_001, expiresAt: 1_750_000_061, framing: .tlvGRE(key: .max)),
    ]

    @Test("Every field and every framing survives save and load")
    func roundTrip() throws {
        let directory = try TemporaryDirectory()
        let store = try BindingStore(path: directory.path + "/bindings.sqlite")
        for binding in Self.edgeBindings {
            try store.save(binding)
        }
        #expect(try store.count() == Self.edgeBindings.count)
        #expect(try store.loadAll() == Self.edgeBindings.sorted { $0.vm < $1.vm })
    }

    @Test("Saving a VM again replaces its binding")
    func upsert() throws {
        let directory = try TemporaryDirectory()
        let store = try BindingStore(path: directory.path + "/bindings.sqlite")
        var binding = BindingSamples.binding(1, framing: .tlvGRE(key: 7))
        try store.save(binding)
        binding.siteName = "site-b"
        binding.siteAddress = IPv4Address(198, 18, 2, 2)
        binding.timestamp = PMIPTimestamp(rawValue: binding.timestamp.rawValue + 1)
        binding.framing = .bare
        try store.save(binding)
        #expect(try store.count() == 1)
        #expect(try store.loadAll() == [binding])
    }

    @Test("Deleting removes one VM's binding; deleting an absent one changes nothing")
    func delete() throws {
        let directory = try TemporaryDirectory()
        let store = try BindingStore(path: directory.path + "/bindings.sqlite")
        let bindings = (0..<4).map { BindingSamples.binding($0) }
        try store.saveAll(bindings)
        try store.delete(vm: bindings[2].vm)
        try store.delete(vm: MACAddress(2, 0, 0, 0, 0, 9))
        #expect(try store.loadAll() == [bindings[0], bindings[1], bindings[3]])
    }

    @Test("Preparations are stored with the bindings, survive a reopen, and go when deleted")
    func preparations() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        let binding = BindingSamples.binding(1)
        let prepared = [
            Preparation(site: AwayVM(vm: binding.vm, homeAddress: binding.homeAddress, siteAddress: IPv4Address(198, 18, 2, 2),
                                     framing: .tlvGRE(key: 4097)), siteName: "site-b", expiresAt: 1_750_000_100.5),
            Preparation(site: AwayVM(vm: MACAddress(rawValue: 0x5254_0000_0009)!, homeAddress: IPv4Address(10, 10, 0, 9),
                                     siteAddress: IPv4Address(198, 18, 0, 2), framing: .bare), siteName: "home", expiresAt: 1_750_000_200),
        ]
        do {
            let store = try BindingStore(path: path)
            try store.apply(saving: [binding], deleting: [], preparing: prepared, unpreparing: [])
        }
        let store = try BindingStore(path: path)
        #expect(try store.loadPreparations() == prepared)
        #expect(try store.loadAll() == [binding])
        try store.apply(saving: [], deleting: [], preparing: [], unpreparing: [prepared[0].site.vm])
        #expect(try store.loadPreparations() == [prepared[1]])
        #expect(try store.loadAll() == [binding], "bindings untouched")
    }

    @Test("Revocations owed to sites survive a reopen and go when settled, the bindings untouched")
    func revocations() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        let binding = BindingSamples.binding(1)
        do {
            let store = try BindingStore(path: path)
            try store.apply(saving: [binding], deleting: [], revoking: Self.edgeRevocations.reversed())
        }
        let store = try BindingStore(path: path)
        #expect(try store.loadRevocations() == Self.edgeRevocations, "every field, ordered by VM and site")
        var replaced = Self.edgeRevocations[1]
        replaced.timestamp = PMIPTimestamp(rawValue: 42)
        try store.apply(saving: [], deleting: [], revoking: [replaced], unrevoking: [Self.edgeRevocations[0].key])
        #expect(try store.loadRevocations() == [replaced, Self.edgeRevocations[2]], "one VM's revocation at one site is replaced, not added")
        #expect(try store.loadAll() == [binding], "bindings untouched")
    }

    @Test("A fresh store on the same file sees the same bindings")
    func reopen() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        let bindings = (0..<100).map { BindingSamples.binding($0) } + Self.edgeBindings
        do {
            let store = try BindingStore(path: path)
            try store.saveAll(bindings)
            try store.delete(vm: bindings[10].vm)
        }
        let reopened = try BindingStore(path: path)
        var expected = bindings
        expected.remove(at: 10)
        #expect(try reopened.loadAll() == expected.sorted { $0.vm < $1.vm })
        #expect(try reopened.count() == expected.count)
    }

    @Test("The restart counter counts starts, across reopenings")
    func restartCounter() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        do {
            let store = try BindingStore(path: path)
            #expect(try store.nextRestartCounter() == 1)
            #expect(try store.nextRestartCounter() == 2)
        }
        #expect(try BindingStore(path: path).nextRestartCounter() == 3)
        #expect(try BindingStore(path: path).nextRestartCounter() == 4)
        #expect(try BindingStore(path: path).count() == 0)
    }

    @Test("Missing parent directories are created")
    func createsDirectories() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/var/lib/glm/home-agent.sqlite"
        let store = try BindingStore(path: path)
        try store.save(BindingSamples.binding(3))
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try BindingStore(path: path).loadAll() == [BindingSamples.binding(3)])
    }

    @Test("The file runs in WAL mode with synchronous FULL")
    func durabilitySettings() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        let store = try BindingStore(path: path)
        let settings = try store.durabilitySettings()
        #expect(settings.journalMode == "wal")
        #expect(settings.synchronous == 2)
        // WAL is recorded in the file header (octets 18 and 19 are 2), so every later
        // opening uses it too.
        let header = try #require(FileManager.default.contents(atPath: path))
        #expect(header.count >= 100 && header[18] == 2 && header[19] == 2)
    }

    @Test("saveAll is one transaction: a binding SQLite refuses leaves nothing stored")
    func saveAllIsAtomic() throws {
        let directory = try TemporaryDirectory()
        let store = try BindingStore(path: directory.path + "/bindings.sqlite")
        var bad = BindingSamples.binding(5)
        bad.lifetime = .nan  // SQLite stores NaN as NULL, which the column refuses
        #expect(throws: BindingStoreError.self) {
            try store.saveAll([BindingSamples.binding(1), BindingSamples.binding(2), bad])
        }
        #expect(try store.count() == 0)
    }

    @Test("apply saves and deletes together, all or nothing")
    func applyTogether() throws {
        let directory = try TemporaryDirectory()
        let store = try BindingStore(path: directory.path + "/bindings.sqlite")
        let first = (0..<4).map { BindingSamples.binding($0) }
        try store.saveAll(first)
        let moved = BindingSamples.binding(1, framing: .tlvGRE(key: 99))
        try store.apply(saving: [moved, BindingSamples.binding(7)], deleting: [first[0].vm, first[3].vm])
        #expect(try store.loadAll() == [moved, first[2], BindingSamples.binding(7)])

        var bad = BindingSamples.binding(8)
        bad.expiresAt = .nan
        #expect(throws: BindingStoreError.self) {
            try store.apply(saving: [BindingSamples.binding(9), bad], deleting: [moved.vm])
        }
        #expect(try store.loadAll() == [moved, first[2], BindingSamples.binding(7)])
    }

    @Test("A file that is not a database is refused with its path")
    func notADatabase() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        try String(repeating: "not a database ", count: 100).write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: BindingStoreError.self) { try BindingStore(path: path) }
        #expect(error.path == path)
        #expect(error.description.hasPrefix(path + ": "))
    }

    @Test("A damaged row is an error on load, not skipped",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs the sqlite3 tool"))
    func damagedRow() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/bindings.sqlite"
        do {
            try BindingStore(path: path).save(BindingSamples.binding(1))
        }
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [path, "UPDATE binding SET framing = 9"]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        let error = try #require(throws: BindingStoreError.self) { try BindingStore(path: path).loadAll() }
        #expect(error.reason.contains("damaged binding row"))
        #expect(error.reason.contains("framing 9"))
    }
}
