import Foundation
import GLMWire
import GRDB
import HomeAgentCore

/// The binding cache on disk: one SQLite row per VM away from home, and the restart
/// counter that Heartbeats carry (RFC 5847 §3.3).
///
/// Durability is the point of this type. The database runs in WAL mode with
/// `synchronous = FULL`: every transaction's commit appends to the write-ahead log and
/// `fsync`s it before the call returns. So once ``save(_:)`` returns, the binding is on
/// stable storage, and neither a `kill -9` of the daemon nor a power cut loses it. (With
/// WAL, `NORMAL` would keep the file consistent but could lose the last commits on power
/// loss; the daemon sends the PBA that announces a binding only after ``save(_:)`` has
/// returned, so it needs `FULL`.) A WAL commit is one sequential write and one `fsync`.
///
/// Calls are synchronous and serialised by one connection; call them from the daemon's
/// own executor, not from an event loop.
public final class BindingStore: Sendable {
    /// The SQLite file.
    public let path: String
    private let database: DatabaseQueue
    /// Where the asynchronous calls (``BindingPersistence``) run, one at a time.
    let queue = DispatchQueue(label: "glm.home-agent.binding-store")

    /// Opens the store at `path`, creating the file and its parent directories if
    /// needed, and brings its tables up to date.
    public init(path: String) throws(BindingStoreError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try Self.createDirectories(directory)
        } catch {
            throw BindingStoreError(path: path, reason: "cannot create the directory \(directory): \(error)")
        }
        var configuration = Configuration()
        configuration.label = "BindingStore"
        // Applied on opening, after which nothing else sets these: GRDB's own WAL set-up
        // (`journalMode = .wal`) would lower `synchronous` to NORMAL.
        configuration.prepareDatabase { db in
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else {
                throw BindingStoreError(path: db.description, reason: "the file cannot use WAL mode (journal mode is \(mode ?? "unknown"))")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw BindingStoreError(path: path, error)
        }
        // The file and its WAL are new directory entries: make them durable too.
        Self.syncDirectory(directory.isEmpty ? "." : directory)
    }

    // MARK: Bindings

    /// Stores `binding`, replacing any binding of the same VM, in one transaction.
    /// Returns once the transaction is on stable storage.
    public func save(_ binding: Binding) throws(BindingStoreError) {
        try write { db in
            try BindingRow.upsert(binding, in: db)
        }
    }

    /// Stores every binding in one transaction: all of them or none.
    public func saveAll(_ bindings: some Sequence<Binding>) throws(BindingStoreError) {
        try apply(saving: bindings, deleting: [])
    }

    /// Stores `saving` and removes the bindings of `deleting` in one transaction, with
    /// one `fsync`: how a caller holding several changes (from a burst of updates)
    /// makes them durable together before announcing any of them.
    /// Preparations (make-before-break) and revocations owed to sites, to store and to
    /// remove, go in the same transaction.
    public func apply(saving: some Sequence<Binding>, deleting: some Sequence<MACAddress>,
                      preparing: some Sequence<Preparation> = [Preparation](),
                      unpreparing: some Sequence<MACAddress> = [MACAddress](),
                      revoking: some Sequence<Revocation> = [Revocation](),
                      unrevoking: some Sequence<RevocationKey> = [RevocationKey]()) throws(BindingStoreError) {
        try write { db in
            let upsert = try db.cachedStatement(sql: BindingRow.upsertSQL)
            for binding in saving {
                upsert.setUncheckedArguments(BindingRow.arguments(binding))
                try upsert.execute()
            }
            let delete = try db.cachedStatement(sql: BindingRow.deleteSQL)
            for vm in deleting {
                try delete.execute(arguments: [Int64(vm.rawValue)])
            }
            for preparation in preparing {
                try db.cachedStatement(sql: PreparationRow.upsertSQL).execute(arguments: PreparationRow.arguments(preparation))
            }
            for vm in unpreparing {
                try db.cachedStatement(sql: PreparationRow.deleteSQL).execute(arguments: [Int64(vm.rawValue)])
            }
            for revocation in revoking {
                try db.cachedStatement(sql: RevocationRow.upsertSQL).execute(arguments: RevocationRow.arguments(revocation))
            }
            for key in unrevoking {
                try db.cachedStatement(sql: RevocationRow.deleteSQL).execute(arguments: RevocationRow.keyArguments(key))
            }
        }
    }

    /// Every stored revocation, ordered by VM MAC and site.
    public func loadRevocations() throws(BindingStoreError) -> [Revocation] {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: RevocationRow.selectSQL)
            var revocations: [Revocation] = []
            while let row = try rows.next() { revocations.append(try RevocationRow.decode(row)) }
            return revocations
        }
    }

    /// Every stored preparation, ordered by VM MAC.
    public func loadPreparations() throws(BindingStoreError) -> [Preparation] {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: PreparationRow.selectSQL)
            var preparations: [Preparation] = []
            while let row = try rows.next() { preparations.append(try PreparationRow.decode(row)) }
            return preparations
        }
    }

    /// Removes the binding of `vm`, if there is one, in one transaction.
    public func delete(vm: MACAddress) throws(BindingStoreError) {
        try write { db in
            try db.cachedStatement(sql: BindingRow.deleteSQL).execute(arguments: [Int64(vm.rawValue)])
        }
    }

    /// Every stored binding, ordered by VM MAC. A row that does not make a valid
    /// binding (a damaged file) is an error, never silently skipped.
    public func loadAll() throws(BindingStoreError) -> [Binding] {
        try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM binding") ?? 0
            var bindings: [Binding] = []
            bindings.reserveCapacity(total)
            let rows = try Row.fetchCursor(db, sql: BindingRow.selectSQL)
            while let row = try rows.next() {
                bindings.append(try BindingRow.decode(row))
            }
            return bindings
        }
    }

    /// The number of stored bindings.
    public func count() throws(BindingStoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM binding") ?? 0
        }
    }

    // MARK: Restart counter

    /// Increments the persisted restart counter and returns its new value: 1 at the
    /// first start. Call it once per start; RFC 5847 §3.3 has the peer compare it with
    /// the value it last saw to learn that this agent restarted. Wraps after 2^32 - 1.
    public func nextRestartCounter() throws(BindingStoreError) -> UInt32 {
        try write { db in
            let current = try Int64.fetchOne(db, sql: "SELECT value FROM agent_state WHERE name = 'restart-counter'") ?? 0
            let next = UInt32(truncatingIfNeeded: current) &+ 1
            try db.execute(sql: """
                INSERT INTO agent_state (name, value) VALUES ('restart-counter', ?)
                ON CONFLICT(name) DO UPDATE SET value = excluded.value
                """, arguments: [Int64(next)])
            return next
        }
    }

    // MARK: Internals

    /// The connection's journal mode and `synchronous` level (`wal` and 2, FULL), for the
    /// daemon's start-up log and for tests.
    public func durabilitySettings() throws(BindingStoreError) -> (journalMode: String, synchronous: Int) {
        do {
            return try database.writeWithoutTransaction { db in
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
                let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                return (mode, synchronous)
            }
        } catch {
            throw BindingStoreError(path: path, error)
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(BindingStoreError) -> T {
        do {
            return try database.write(body)
        } catch {
            throw BindingStoreError(path: path, error)
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws(BindingStoreError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw BindingStoreError(path: path, error)
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("bindings-v1") { db in
            try db.execute(sql: BindingRow.createTableSQL)
            try db.execute(sql: """
                CREATE TABLE agent_state (
                    name  TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                ) STRICT
                """)
        }
        migrator.registerMigration("preparations-v2") { db in
            try db.execute(sql: PreparationRow.createTableSQL)
        }
        migrator.registerMigration("revocations-v3") { db in
            try db.execute(sql: RevocationRow.createTableSQL)
        }
        return migrator
    }

    /// Creates `directory` and any missing parents, then syncs each new entry's parent
    /// so the new directories survive a power cut.
    private static func createDirectories(_ directory: String) throws {
        guard !directory.isEmpty else { return }
        var missing: [String] = []
        var current = directory
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        guard !missing.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for created in missing {
            syncDirectory((created as NSString).deletingLastPathComponent)
        }
    }

    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}

/// Why the binding store failed: the file and what went wrong with it.
public struct BindingStoreError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    init(path: String, _ error: any Error) {
        if let error = error as? BindingStoreError {
            self = error
            self.path = path
        } else {
            self.init(path: path, reason: "\(error)")
        }
    }

    public var description: String { "\(path): \(reason)" }
}
