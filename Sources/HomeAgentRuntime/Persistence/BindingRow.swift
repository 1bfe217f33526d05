import GLMWire
import GRDB
import HomeAgentCore

/// How a ``Binding`` is laid out in the `binding` table: integers for addresses, the
/// MAC and the timestamp; a small code and an optional key for the tunnel framing.
enum BindingRow {
    /// `framing` column values.
    enum FramingCode: Int64 {
        case bare = 0
        case tlv = 1
        case tlvGRE = 2
    }

    static let createTableSQL = """
        CREATE TABLE binding (
            vm              INTEGER PRIMARY KEY NOT NULL, -- MAC, its 48 bits as an integer
            home_address    INTEGER NOT NULL,             -- IPv4, first octet most significant
            site_name       TEXT NOT NULL,
            site_address    INTEGER NOT NULL,
            site_port       INTEGER NOT NULL,
            timestamp       INTEGER NOT NULL,             -- PMIPTimestamp's 64 bits, as a signed bit pattern
            sequence_number INTEGER NOT NULL,
            lifetime        REAL NOT NULL,                -- seconds
            registered_at   REAL NOT NULL,                -- seconds since 1970
            expires_at      REAL NOT NULL,                -- seconds since 1970
            framing         INTEGER NOT NULL,             -- 0 bare, 1 TLV, 2 TLV with GRE
            gre_key         INTEGER                       -- with framing 2, when there is a key
        ) STRICT
        """

    static let columns = "vm, home_address, site_name, site_address, site_port, timestamp, sequence_number, "
        + "lifetime, registered_at, expires_at, framing, gre_key"

    static let upsertSQL = """
        INSERT INTO binding (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(vm) DO UPDATE SET
            home_address = excluded.home_address, site_name = excluded.site_name,
            site_address = excluded.site_address, site_port = excluded.site_port,
            timestamp = excluded.timestamp, sequence_number = excluded.sequence_number,
            lifetime = excluded.lifetime, registered_at = excluded.registered_at,
            expires_at = excluded.expires_at, framing = excluded.framing, gre_key = excluded.gre_key
        """

    static let deleteSQL = "DELETE FROM binding WHERE vm = ?"

    static let selectSQL = "SELECT \(columns) FROM binding ORDER BY vm"

    static func upsert(_ binding: Binding, in db: Database) throws {
        try db.cachedStatement(sql: upsertSQL).execute(arguments: arguments(binding))
    }

    /// The `framing` and `gre_key` columns of a tunnel framing.
    static func columns(_ format: TunnelFrame.Format) -> (framing: Int64, greKey: Int64?) {
        switch format {
        case .bare: (FramingCode.bare.rawValue, nil)
        case .tlv: (FramingCode.tlv.rawValue, nil)
        case .tlvGRE(let key): (FramingCode.tlvGRE.rawValue, key.map(Int64.init))
        }
    }

    /// The tunnel framing the `framing` and `gre_key` columns hold, refused when they do not make one.
    static func framing(_ framingValue: Int64, _ keyValue: Int64?, vm: MACAddress) throws -> TunnelFrame.Format {
        switch (FramingCode(rawValue: framingValue), keyValue) {
        case (.bare, nil): return .bare
        case (.tlv, nil): return .tlv
        case (.tlvGRE, nil): return .tlvGRE(key: nil)
        case (.tlvGRE, let key?):
            guard let key = UInt32(exactly: key) else { throw damaged("VM \(vm) gre_key \(key) does not fit 32 bits") }
            return .tlvGRE(key: key)
        default:
            throw damaged("VM \(vm) framing \(framingValue) with gre_key \(keyValue.map(String.init) ?? "NULL") is not a framing")
        }
    }

    static func arguments(_ binding: Binding) -> StatementArguments {
        let (framing, greKey) = columns(binding.framing)
        return [
            Int64(binding.vm.rawValue),
            Int64(binding.homeAddress.rawValue),
            binding.siteName,
            Int64(binding.siteAddress.rawValue),
            Int64(binding.sitePort),
            Int64(bitPattern: binding.timestamp.rawValue),
            Int64(binding.sequenceNumber),
            binding.lifetime,
            binding.registeredAt,
            binding.expiresAt,
            framing,
            greKey,
        ]
    }

    /// The binding a row of ``selectSQL`` holds; refused when a column is out of range.
    static func decode(_ row: Row) throws -> Binding {
        let vmValue = try row.decode(Int64.self, atIndex: 0)
        guard let vm = UInt64(exactly: vmValue).flatMap(MACAddress.init(rawValue:)) else {
            throw damaged("VM \(vmValue) is not a 48-bit MAC")
        }
        let homeAddress = try address(row, 1, "home_address", vm)
        let siteName = try row.decode(String.self, atIndex: 2)
        let siteAddress = try address(row, 3, "site_address", vm)
        let portValue = try row.decode(Int64.self, atIndex: 4)
        guard let sitePort = UInt16(exactly: portValue) else { throw damaged("VM \(vm) site_port \(portValue) is not a port") }
        let timestamp = PMIPTimestamp(rawValue: UInt64(bitPattern: try row.decode(Int64.self, atIndex: 5)))
        let sequenceValue = try row.decode(Int64.self, atIndex: 6)
        guard let sequenceNumber = UInt16(exactly: sequenceValue) else {
            throw damaged("VM \(vm) sequence_number \(sequenceValue) does not fit 16 bits")
        }
        let lifetime = try row.decode(Double.self, atIndex: 7)
        let registeredAt = try row.decode(Double.self, atIndex: 8)
        let expiresAt = try row.decode(Double.self, atIndex: 9)
        let framing = try framing(try row.decode(Int64.self, atIndex: 10), try row.decode(Int64?.self, atIndex: 11), vm: vm)
        return Binding(vm: vm, homeAddress: homeAddress, siteName: siteName, siteAddress: siteAddress,
                       sitePort: sitePort, timestamp: timestamp, sequenceNumber: sequenceNumber, lifetime: lifetime,
                       registeredAt: registeredAt, expiresAt: expiresAt, framing: framing)
    }

    static func address(_ row: Row, _ index: Int, _ column: String, _ vm: MACAddress) throws -> IPv4Address {
        let value = try row.decode(Int64.self, atIndex: index)
        guard let raw = UInt32(exactly: value) else { throw damaged("VM \(vm) \(column) \(value) is not an IPv4 address") }
        return IPv4Address(rawValue: raw)
    }

    static func damaged(_ detail: String) -> BindingStoreError {
        BindingStoreError(path: "", reason: "damaged binding row: \(detail)")
    }
}
