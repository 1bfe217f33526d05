import GLMWire
import GRDB
import HomeAgentCore

/// How a ``Preparation`` is laid out in the `preparation` table: one row per VM, as the
/// binding's columns lay out its site and framing.
enum PreparationRow {
    static let createTableSQL = """
        CREATE TABLE preparation (
            vm           INTEGER PRIMARY KEY NOT NULL, -- MAC, its 48 bits as an integer
            home_address INTEGER NOT NULL,
            site_name    TEXT NOT NULL,                -- 'home' for a return home
            site_address INTEGER NOT NULL,
            expires_at   REAL NOT NULL,                -- seconds since 1970
            framing      INTEGER NOT NULL,
            gre_key      INTEGER
        ) STRICT
        """

    static let upsertSQL = """
        INSERT INTO preparation (vm, home_address, site_name, site_address, expires_at, framing, gre_key)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(vm) DO UPDATE SET
            home_address = excluded.home_address, site_name = excluded.site_name, site_address = excluded.site_address,
            expires_at = excluded.expires_at, framing = excluded.framing, gre_key = excluded.gre_key
        """

    static let deleteSQL = "DELETE FROM preparation WHERE vm = ?"

    static let selectSQL = "SELECT vm, home_address, site_name, site_address, expires_at, framing, gre_key FROM preparation ORDER BY vm"

    static func arguments(_ preparation: Preparation) -> StatementArguments {
        let (framing, greKey) = BindingRow.columns(preparation.site.framing)
        return [Int64(preparation.site.vm.rawValue), Int64(preparation.site.homeAddress.rawValue), preparation.siteName,
                Int64(preparation.site.siteAddress.rawValue), preparation.expiresAt, framing, greKey]
    }

    static func decode(_ row: Row) throws -> Preparation {
        let vmValue = try row.decode(Int64.self, atIndex: 0)
        guard let vm = UInt64(exactly: vmValue).flatMap(MACAddress.init(rawValue:)) else {
            throw BindingRow.damaged("preparation of VM \(vmValue): not a 48-bit MAC")
        }
        let framing = try BindingRow.framing(try row.decode(Int64.self, atIndex: 5), try row.decode(Int64?.self, atIndex: 6), vm: vm)
        let site = AwayVM(vm: vm, homeAddress: try BindingRow.address(row, 1, "home_address", vm),
                          siteAddress: try BindingRow.address(row, 3, "site_address", vm), framing: framing)
        return Preparation(site: site, siteName: try row.decode(String.self, atIndex: 2),
                           expiresAt: try row.decode(Double.self, atIndex: 4))
    }
}
