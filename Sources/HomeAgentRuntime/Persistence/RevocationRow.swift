import GLMWire
import GRDB
import HomeAgentCore

/// How a ``Revocation`` is laid out in the `revocation` table: one row per VM and site
/// hypervisor whose BRA is still owed, as the binding's columns lay out its site.
enum RevocationRow {
    static let createTableSQL = """
        CREATE TABLE revocation (
            vm           INTEGER NOT NULL,   -- MAC, its 48 bits as an integer
            site_address INTEGER NOT NULL,   -- the hypervisor that held the binding
            site_port    INTEGER NOT NULL,
            trigger      INTEGER NOT NULL,   -- RFC 5846 revocation trigger
            timestamp    INTEGER NOT NULL,   -- the revoked binding's PMIPTimestamp, as a signed bit pattern
            PRIMARY KEY (vm, site_address)
        ) STRICT
        """

    static let upsertSQL = """
        INSERT INTO revocation (vm, site_address, site_port, trigger, timestamp) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(vm, site_address) DO UPDATE SET
            site_port = excluded.site_port, trigger = excluded.trigger, timestamp = excluded.timestamp
        """

    static let deleteSQL = "DELETE FROM revocation WHERE vm = ? AND site_address = ?"

    static let selectSQL = "SELECT vm, site_address, site_port, trigger, timestamp FROM revocation ORDER BY vm, site_address"

    static func arguments(_ revocation: Revocation) -> StatementArguments {
        [Int64(revocation.vm.rawValue), Int64(revocation.siteAddress.rawValue), Int64(revocation.sitePort),
         Int64(revocation.trigger.rawValue), Int64(bitPattern: revocation.timestamp.rawValue)]
    }

    static func keyArguments(_ key: RevocationKey) -> StatementArguments {
        [Int64(key.vm.rawValue), Int64(key.site.rawValue)]
    }

    static func decode(_ row: Row) throws -> Revocation {
        let vmValue = try row.decode(Int64.self, atIndex: 0)
        guard let vm = UInt64(exactly: vmValue).flatMap(MACAddress.init(rawValue:)) else {
            throw BindingRow.damaged("revocation of VM \(vmValue): not a 48-bit MAC")
        }
        let portValue = try row.decode(Int64.self, atIndex: 2)
        guard let port = UInt16(exactly: portValue) else { throw BindingRow.damaged("revocation of VM \(vm): site_port \(portValue) is not a port") }
        let triggerValue = try row.decode(Int64.self, atIndex: 3)
        guard let trigger = UInt8(exactly: triggerValue) else {
            throw BindingRow.damaged("revocation of VM \(vm): trigger \(triggerValue) does not fit 8 bits")
        }
        return Revocation(vm: vm, siteAddress: try BindingRow.address(row, 1, "site_address", vm), sitePort: port,
                          trigger: RevocationTrigger(rawValue: trigger),
                          timestamp: PMIPTimestamp(rawValue: UInt64(bitPattern: try row.decode(Int64.self, atIndex: 4))))
    }
}
