import GRDBSQLite
import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// The local SIRENE register built by `tamis sirene import` (an SQLite file).
///
/// Tables: `establishments` keyed by SIRET (the row id: a SIREN's establishments are one
/// contiguous range, `siren·10⁵ … siren·10⁵ + 99999`), `units` keyed by SIREN, `name_keys`
/// (siretisation blocking keys of active establishments → SIRET) and `meta`.
public final class SireneRegisterFile: SireneRegister, @unchecked Sendable {
    public static let formatVersion = "2"
    public let path: String
    public let info: RegisterInfo
    /// Sorted `siret·4 + flags` and `siren·4 + flags` (see `SireneImport.buildStates`).
    let establishmentStates: RegisterStateTable
    let unitStates: RegisterStateTable

    public init(path: String) throws {
        self.path = path
        guard access(path, R_OK) == 0 else {
            throw InputError(file: path, problem: "the SIRENE register does not exist",
                             hint: "build it first: tamis sirene import StockEtablissement_utf8.zip StockUniteLegale_utf8.zip --register \(path)")
        }
        let connection = try SQLiteConnection(path: path, readOnly: true)
        var meta: [String: String] = [:]
        do {
            let statement = try connection.prepare("SELECT key, value FROM meta")
            while try statement.next() { meta[statement.text(0)] = statement.text(1) }
        } catch {
            throw InputError(file: path, problem: "this is not a Tamis SIRENE register (no meta table)",
                             hint: "build one with `tamis sirene import … --register \(path)`")
        }
        guard meta["format"] == SireneRegisterFile.formatVersion else {
            throw InputError(file: path, problem: "register format \(meta["format"] ?? "?") is not the one this Tamis reads (\(SireneRegisterFile.formatVersion))",
                             hint: "import the stock files again with this version of Tamis")
        }
        info = RegisterInfo(stockDate: meta["stock_date"] ?? "", importedAt: meta["imported_at"] ?? "",
                            establishments: Int(meta["establishments"] ?? "") ?? 0, units: Int(meta["units"] ?? "") ?? 0)
        func states(_ kind: String) throws -> [UInt64] {
            let statement = try connection.prepare("SELECT entries, data FROM states WHERE kind = ?")
            statement.bind(kind)
            defer { statement.reset() }
            guard try statement.next() else { return [] }
            let entries = Int(statement.int(0))
            guard let bytes = sqlite3_column_blob(statement.statement, 1), Int(sqlite3_column_bytes(statement.statement, 1)) >= entries * 8 else {
                throw InputError(file: path, problem: "the register's state index is damaged", hint: "import the stock files again")
            }
            return [UInt64](unsafeUninitializedCapacity: entries) { buffer, count in
                if entries > 0 { memcpy(buffer.baseAddress!, bytes, entries * 8) }
                for i in 0..<entries { buffer[i] = UInt64(littleEndian: buffer[i]) }
                count = entries
            }
        }
        establishmentStates = RegisterStateTable(entries: try states("establishments"))
        unitStates = RegisterStateTable(entries: try states("units"))
    }

    /// Names stored joined by `|` (signs, usual names), split again.
    static func names(_ joined: String) -> [String] {
        joined.isEmpty ? [] : joined.split(separator: "|").map(String.init)
    }

    public func makeReader() throws -> SireneReader {
        try Reader(path: path, register: self)
    }

    final class Reader: SireneReader {
        let connection: SQLiteConnection
        let byEstablishment: PreparedStatement
        let bySiren: PreparedStatement
        let unitStatement: PreparedStatement
        let keyStatement: PreparedStatement
        let closingStatement: PreparedStatement
        let candidateStatement: PreparedStatement
        static let columns = """
            siret, active, partial, period_start, head_office, created, headcount, naf, naf_nomenclature, naf2025, names,
            street_number, street_repeat, street_type, street_name, complement, postal_code, commune_code, city
            """

        let register: SireneRegisterFile

        init(path: String, register: SireneRegisterFile) throws {
            self.register = register
            connection = try SQLiteConnection(path: path, readOnly: true)
            // Pages mapped rather than read with a syscall each, and one read transaction for the
            // reader's life: otherwise every lookup is its own transaction (a lock, a stat for a
            // hot journal, a read of page 1): 20 µs of system calls instead of 1 µs of lookup.
            // Nothing writes a register in place (an import replaces the file), so this is safe.
            try connection.execute("PRAGMA cache_size = -65536; PRAGMA mmap_size = 17179869184; BEGIN")
            byEstablishment = try connection.prepare("SELECT \(Reader.columns) FROM establishments WHERE siret = ?")
            bySiren = try connection.prepare("""
                SELECT siret, active, partial, head_office, street_number, street_type, street_name, postal_code
                FROM establishments WHERE siret BETWEEN ? AND ? AND active = 1
                """)
            unitStatement = try connection.prepare("""
                SELECT active, partial, name, acronym, usual_names, legal_category, naf, headcount, size_category, head_office_nic, created
                FROM units WHERE siren = ?
                """)
            keyStatement = try connection.prepare("SELECT siret FROM name_keys WHERE key = ? LIMIT ?")
            candidateStatement = try connection.prepare("""
                SELECT active, partial, names, street_number, street_type, street_name, postal_code, city
                FROM establishments WHERE siret = ?
                """)
            closingStatement = try connection.prepare("SELECT active, partial, period_start, postal_code FROM establishments WHERE siret = ?")
        }

        func establishmentState(_ siret: UInt64) throws -> RegisterState? {
            register.establishmentStates.state(siret)
        }

        func unitState(_ siren: UInt64) throws -> RegisterState? {
            register.unitStates.state(siren)
        }

        /// The one row `statement` finds for `key`, read by `row`.
        private func one<T>(_ statement: PreparedStatement, _ key: UInt64, _ row: (PreparedStatement) -> T) throws -> T? {
            defer { statement.reset() }
            statement.bind(Int64(key))
            return try statement.next() ? row(statement) : nil
        }

        func establishment(_ siret: UInt64) throws -> RegisteredEstablishment? {
            try one(byEstablishment, siret) { s in
                RegisteredEstablishment(
                    siret: siret, isActive: s.int(1) != 0, isPartial: s.int(2) != 0, periodStart: s.text(3),
                    isHeadOffice: s.int(4) != 0, created: s.text(5), headcountBand: s.text(6), naf: s.text(7),
                    nafNomenclature: s.text(8), naf2025: s.text(9), names: SireneRegisterFile.names(s.text(10)),
                    streetNumber: s.text(11), streetRepeat: s.text(12), streetType: s.text(13), streetName: s.text(14),
                    complement: s.text(15), postalCode: s.text(16), communeCode: s.text(17), city: s.text(18))
            }
        }

        func candidate(_ siret: UInt64) throws -> RegisteredEstablishment? {
            try one(candidateStatement, siret) { s in
                RegisteredEstablishment(
                    siret: siret, isActive: s.int(0) != 0, isPartial: s.int(1) != 0, names: SireneRegisterFile.names(s.text(2)),
                    streetNumber: s.text(3), streetType: s.text(4), streetName: s.text(5), postalCode: s.text(6), city: s.text(7))
            }
        }

        func closing(_ siret: UInt64) throws -> RegisteredEstablishment? {
            try one(closingStatement, siret) { s in
                RegisteredEstablishment(siret: siret, isActive: s.int(0) != 0, isPartial: s.int(1) != 0, periodStart: s.text(2),
                                        postalCode: s.text(3))
            }
        }

        func openEstablishments(ofSiren siren: UInt64) throws -> [RegisteredEstablishment] {
            defer { bySiren.reset() }
            bySiren.bind(Int64(siren * 100_000))
            bySiren.bind(Int64(siren * 100_000 + 99_999))
            var result: [RegisteredEstablishment] = []
            let s = bySiren
            while try s.next() {
                result.append(RegisteredEstablishment(
                    siret: UInt64(s.int(0)), isActive: s.int(1) != 0, isPartial: s.int(2) != 0, isHeadOffice: s.int(3) != 0,
                    streetNumber: s.text(4), streetType: s.text(5), streetName: s.text(6), postalCode: s.text(7)))
            }
            return result
        }

        func unit(_ siren: UInt64) throws -> RegisteredUnit? {
            try one(unitStatement, siren) { s in
                RegisteredUnit(
                    siren: siren, isActive: s.int(0) != 0, isPartial: s.int(1) != 0, name: s.text(2), acronym: s.text(3),
                    usualNames: SireneRegisterFile.names(s.text(4)), legalCategory: s.text(5), naf: s.text(6),
                    headcountBand: s.text(7), sizeCategory: s.text(8), headOfficeNIC: UInt64(s.text(9)), created: s.text(10))
            }
        }

        func candidates(forKey key: UInt64, limit: Int) throws -> [UInt64] {
            var result: [UInt64] = []
            defer { keyStatement.reset() }
            keyStatement.bind(Int64(bitPattern: key))
            keyStatement.bind(Int64(limit))
            while try keyStatement.next() { result.append(UInt64(keyStatement.int(0))) }
            return result
        }
    }
}
