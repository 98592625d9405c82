import GRDBSQLite
import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// Builds the local SIRENE register from INSEE's stock files (`StockEtablissement_utf8.csv`,
/// `StockUniteLegale_utf8.csv`, zipped or not) or any extract with the same header.
///
/// Columns are read by name (INSEE adds some over the years); the kind of each file is told
/// by its header. Rows stream from the (inflated) file into SQLite through one prepared
/// statement: memory stays flat whatever the size. Everything goes to a new file next to the
/// register, which replaces the old one by `rename(2)` only once complete: a failed or
/// interrupted import leaves the previous register in place.
public enum SireneImport {
    public enum Kind: String, Sendable { case establishments, units }

    public struct FileReport: Sendable, Equatable {
        public var file: String
        public var kind: Kind
        public var rows: Int
        /// Rows without a usable identifier or with the wrong number of fields (skipped).
        public var skipped: Int
        public var firstSkippedLine: Int?
    }

    public struct Report: Sendable {
        public var info: RegisterInfo
        public var files: [FileReport]
        public var nameKeys: Int
        public var seconds: Double
        /// Seconds per phase: reading the files, name keys, indexing, statistics.
        public var phases: [(String, Double)] = []
    }

    /// Progress: rows read so far, bytes read of the current file, its size.
    public typealias Progress = (_ file: String, _ rows: Int, _ bytes: Int, _ size: Int) -> Void

    static let establishmentColumns = [
        "siret", "statutDiffusionEtablissement", "etatAdministratifEtablissement", "dateDebut", "etablissementSiege",
        "dateCreationEtablissement", "trancheEffectifsEtablissement", "activitePrincipaleEtablissement",
        "nomenclatureActivitePrincipaleEtablissement", "activitePrincipaleNAF25Etablissement",
        "enseigne1Etablissement", "enseigne2Etablissement", "enseigne3Etablissement", "denominationUsuelleEtablissement",
        "numeroVoieEtablissement", "indiceRepetitionEtablissement", "typeVoieEtablissement", "libelleVoieEtablissement",
        "complementAdresseEtablissement", "codePostalEtablissement", "codeCommuneEtablissement",
        "libelleCommuneEtablissement", "dateDernierTraitementEtablissement",
    ]
    static let requiredEstablishmentColumns = ["siret", "etatAdministratifEtablissement"]
    static let unitColumns = [
        "siren", "statutDiffusionUniteLegale", "etatAdministratifUniteLegale", "denominationUniteLegale",
        "sigleUniteLegale", "denominationUsuelle1UniteLegale", "denominationUsuelle2UniteLegale",
        "denominationUsuelle3UniteLegale", "nomUniteLegale", "nomUsageUniteLegale", "prenom1UniteLegale",
        "prenomUsuelUniteLegale", "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
        "trancheEffectifsUniteLegale", "categorieEntreprise", "nicSiegeUniteLegale", "dateCreationUniteLegale",
        "dateDernierTraitementUniteLegale",
    ]
    static let requiredUnitColumns = ["siren", "etatAdministratifUniteLegale"]

    /// Imports `files` into a new register at `registerPath` (replaced atomically).
    /// - Parameter stockDate: the stock's date if known; by default the latest
    ///   `dateDernierTraitement…` found in the files.
    @discardableResult
    public static func run(files: [String], registerPath: String, stockDate: String? = nil, importedAt: String,
                           progress: Progress = { _, _, _, _ in }) throws -> Report {
        let clock = ContinuousClock.now
        guard !files.isEmpty else {
            throw InputError(file: registerPath, problem: "no stock file given",
                             hint: "tamis sirene import StockEtablissement_utf8.zip StockUniteLegale_utf8.zip")
        }
        try OutputDirectory.makeDirectories(OutputDirectory.parent(of: registerPath))
        let temporary = registerPath + ".importing"
        unlink(temporary)
        var succeeded = false
        defer { if !succeeded { unlink(temporary) } }
        let connection = try SQLiteConnection(path: temporary, readOnly: false)
        try connection.execute("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
            PRAGMA cache_size = -262144; PRAGMA temp_store = FILE;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE establishments (
                siret INTEGER PRIMARY KEY, active INTEGER NOT NULL, partial INTEGER NOT NULL, period_start TEXT,
                head_office INTEGER NOT NULL, created TEXT, headcount TEXT, naf TEXT, naf_nomenclature TEXT, naf2025 TEXT,
                names TEXT, street_number TEXT, street_repeat TEXT, street_type TEXT, street_name TEXT, complement TEXT,
                postal_code TEXT, commune_code TEXT, city TEXT);
            CREATE TABLE units (
                siren INTEGER PRIMARY KEY, active INTEGER NOT NULL, partial INTEGER NOT NULL, name TEXT, acronym TEXT,
                usual_names TEXT, legal_category TEXT, naf TEXT, headcount TEXT, size_category TEXT, head_office_nic TEXT,
                created TEXT);
            CREATE TABLE name_keys (key INTEGER NOT NULL, siret INTEGER NOT NULL);
            BEGIN;
            """)
        var reports: [FileReport] = []
        var latest: [UInt8] = []
        var watch = Stopwatch()
        var phases: [(String, Double)] = []
        // Legal units first (INSEE's file names say which is which): establishments can then
        // get their siretisation keys as they are read, with their unit's names, in one pass.
        let ordered = files.enumerated().sorted { a, b in
            let ua = a.element.lowercased().contains("unitelegale"), ub = b.element.lowercased().contains("unitelegale")
            return ua != ub ? ua : a.offset < b.offset
        }.map(\.element)
        var inlineKeys = 0
        var establishmentsWithoutKeys = false
        for file in ordered {
            let unitsLoaded = reports.contains { $0.kind == .units && $0.rows > 0 }
            let (report, keys) = try load(file: file, into: connection, latest: &latest, inlineKeys: unitsLoaded, progress: progress)
            reports.append(report)
            inlineKeys += keys
            if report.kind == .establishments && !unitsLoaded { establishmentsWithoutKeys = true }
        }
        let establishments = reports.filter { $0.kind == .establishments }.reduce(0) { $0 + $1.rows - $1.skipped }
        let units = reports.filter { $0.kind == .units }.reduce(0) { $0 + $1.rows - $1.skipped }
        phases.append(("files", watch.lap()))
        // Establishments read before any unit file: keys in a second pass, over the whole table.
        let nameKeys = establishmentsWithoutKeys ? try rebuildNameKeys(connection) : inlineKeys
        phases.append(("name keys", watch.lap()))
        // (key, siret): a covering index, so a key's candidates are read from the index alone
        // instead of one table lookup per SIRET (random pages of a multi-GB file).
        try connection.execute("COMMIT; CREATE INDEX name_keys_key ON name_keys (key, siret);")
        try buildStates(connection)
        phases.append(("index", watch.lap()))
        let date = stockDate ?? String(decoding: latest.prefix(10), as: UTF8.self)
        let info = RegisterInfo(stockDate: date, importedAt: importedAt, establishments: establishments, units: units)
        let meta = try connection.prepare("INSERT INTO meta (key, value) VALUES (?, ?)")
        for (key, value) in [("format", SireneRegisterFile.formatVersion), ("stock_date", date), ("imported_at", importedAt),
                             ("establishments", String(establishments)), ("units", String(units)),
                             ("files", files.map { String($0.split(separator: "/").last ?? "") }.joined(separator: "|"))] {
            meta.bind(key)
            meta.bind(value)
            try meta.run()
        }
        try connection.execute("ANALYZE")
        phases.append(("statistics", watch.lap()))
        guard rename(temporary, registerPath) == 0 else {
            throw InputError(file: registerPath, problem: "cannot replace the register (\(String(cString: strerror(errno))))")
        }
        succeeded = true
        return Report(info: info, files: reports, nameKeys: nameKeys, seconds: (ContinuousClock.now - clock).seconds, phases: phases)
    }

    // MARK: - One file

    private static func load(file: String, into connection: SQLiteConnection, latest: inout [UInt8], inlineKeys: Bool,
                             progress: Progress) throws -> (FileReport, Int) {
        var loader = StockLoader(file: file, connection: connection)
        loader.inlineKeys = inlineKeys
        var parser = CSVParser(dialect: CSVDialect(delimiter: UInt8(ascii: ",")))
        var bytes = 0
        let zipped = ZipEntryStream.isZip(file)
        let size: Int
        func feed(_ chunk: UnsafeBufferPointer<UInt8>) throws {
            parser.parse(chunk, into: &loader)
            if let failure = loader.failure { throw failure }
            bytes += chunk.count
            if loader.rows - loader.reportedRows >= 1_000_000 {
                loader.reportedRows = loader.rows
                progress(file, loader.rows, bytes, 0)
            }
        }
        do {
            if zipped {
                let zip = try ZipEntryStream(path: file)
                size = zip.fileSize
                try zip.forEachChunk(feed)
            } else {
                let reader = try FileByteReader(path: file)
                size = reader.size
                try reader.forEachChunk(feed)
            }
            parser.finish(into: &loader)
            if let failure = loader.failure { throw failure }
        } catch var error as InputError {
            if loader.rows > 0 {
                error.problem += " — \(loader.rows) rows read (row \(loader.rows) reached, line \(loader.lastLine))"
            }
            throw error
        }
        guard let kind = loader.kind else {
            throw InputError(file: file, problem: "the file is empty", hint: "expected a SIRENE stock file with its header row")
        }
        if loader.lastRowBroken {
            throw InputError(file: file, line: loader.lastLine,
                             problem: "the file ends in the middle of a row (truncated download?) — \(loader.rows) rows read",
                             hint: "download the stock file again; the previous register is left in place")
        }
        progress(file, loader.rows, size, size)
        if loader.latest.lexicographicallyPrecedes(latest) == false && !loader.latest.isEmpty { latest = loader.latest }
        return (FileReport(file: file, kind: kind, rows: loader.rows, skipped: loader.skipped, firstSkippedLine: loader.firstSkippedLine),
                loader.keys?.written ?? 0)
    }

    /// The state of every establishment and unit as one sorted array of `identifier·4 + flags`
    /// (bit 1 active, bit 0 partial diffusion), 8 bytes each, stored as a BLOB written in
    /// pieces (memory stays flat): a run loads it once and checks SIRETs by binary search,
    /// a million a second, without a query per record.
    private static func buildStates(_ connection: SQLiteConnection) throws {
        try connection.execute("CREATE TABLE states (kind TEXT PRIMARY KEY, entries INTEGER NOT NULL, data BLOB NOT NULL)")
        for (kind, table, key) in [("establishments", "establishments", "siret"), ("units", "units", "siren")] {
            let count = try connection.prepare("SELECT count(*) FROM \(table)")
            _ = try count.next()
            let entries = Int(count.int(0))
            count.reset()
            try connection.execute("INSERT INTO states (kind, entries, data) VALUES ('\(kind)', \(entries), zeroblob(\(max(1, entries) * 8)))")
            let rowid = sqlite3_last_insert_rowid(connection.handle)
            var blob: OpaquePointer?
            guard sqlite3_blob_open(connection.handle, "main", "states", "data", rowid, 1, &blob) == SQLITE_OK else {
                throw connection.error("cannot write the state index")
            }
            defer { sqlite3_blob_close(blob) }
            let select = try connection.prepare("SELECT \(key), active, partial FROM \(table) ORDER BY \(key)")
            var buffer = [UInt64]()
            buffer.reserveCapacity(8192)
            var offset: Int32 = 0
            func flush() throws {
                guard !buffer.isEmpty else { return }
                let code = buffer.withUnsafeBytes { sqlite3_blob_write(blob, $0.baseAddress, Int32($0.count), offset) }
                guard code == SQLITE_OK else { throw connection.error("cannot write the state index") }
                offset += Int32(buffer.count * 8)
                buffer.removeAll(keepingCapacity: true)
            }
            while try select.next() {
                let packed = UInt64(select.int(0)) << 2 | (select.int(1) != 0 ? 2 : 0) | (select.int(2) != 0 ? 1 : 0)
                buffer.append(packed.littleEndian)
                if buffer.count == 8192 { try flush() }
            }
            try flush()
            select.reset()
        }
    }

    /// Blocking keys of every active, fully diffusible establishment, from its own names and
    /// its unit's (`CompanyNameKey.blockingKeys`).
    private static func rebuildNameKeys(_ connection: SQLiteConnection) throws -> Int {
        try connection.execute("DELETE FROM name_keys")
        let select = try connection.prepare("""
            SELECT e.siret, e.postal_code, e.names, u.name, u.acronym, u.usual_names
            FROM establishments e LEFT JOIN units u ON u.siren = e.siret / 100000
            WHERE e.active = 1 AND e.partial = 0 AND (u.partial IS NULL OR u.partial = 0)
            """)
        var keys = try NameKeyWriter(connection)
        while try select.next() {
            let names = NameKeyWriter.unitNames(name: select.text(3), acronym: select.text(4), usual: select.text(5))
                + SireneRegisterFile.names(select.text(2))
            try keys.write(siret: select.int(0), names: names, postalCode: select.text(1))
        }
        select.reset()
        return keys.written
    }
}

/// Writes the siretisation keys of open establishments (`CompanyNameKey.blockingKeys`),
/// whether as the establishments are read or in a pass over the table.
struct NameKeyWriter {
    private let insert: PreparedStatement
    private(set) var written = 0

    init(_ connection: SQLiteConnection) throws {
        insert = try connection.prepare("INSERT INTO name_keys (key, siret) VALUES (?, ?)")
    }

    /// A unit's names in the order siretisation tries them: legal name, acronym, usual names.
    static func unitNames(name: String, acronym: String, usual: String) -> [String] {
        [name, acronym].filter { !$0.isEmpty } + SireneRegisterFile.names(usual)
    }

    mutating func write(siret: Int64, names: [String], postalCode: String) throws {
        for key in CompanyNameKey.blockingKeys(names: names, postalCode: postalCode) {
            insert.bind(Int64(bitPattern: key))
            insert.bind(siret)
            try insert.run()
            written += 1
        }
    }
}

/// Receives the rows of one stock file and writes them to the register.
struct StockLoader: CSVRowHandler {
    let file: String
    let connection: SQLiteConnection
    var kind: SireneImport.Kind?
    var failure: InputError?
    var rows = 0
    var reportedRows = 0
    var skipped = 0
    var firstSkippedLine: Int?
    var lastLine = 0
    var lastRowBroken = false
    var latest: [UInt8] = []
    /// Write each establishment's siretisation keys as it is read (its unit is already loaded).
    var inlineKeys = false
    private(set) var keys: NameKeyWriter?
    private var unitNames: PreparedStatement?
    private var lastSiren: Int64 = -1
    private var lastUnit: (partial: Bool, names: [String]) = (false, [])
    /// Field index of each wanted column (-1: absent).
    private var slots: [Int] = []
    private var fieldCount = 0
    private var insert: PreparedStatement?
    private var scratch: [UInt8] = []

    init(file: String, connection: SQLiteConnection) {
        self.file = file
        self.connection = connection
    }

    mutating func problem(_ problem: CSVProblem) {
        // An unterminated quote: at the end of the file it means a truncated file.
        lastRowBroken = true
        lastLine = problem.line
        skipped += 1
        if firstSkippedLine == nil { firstSkippedLine = problem.line }
    }

    mutating func row(_ row: CSVRow) -> CSVRowDecision {
        if failure != nil { return .accept }
        if kind == nil {
            header(row)
            return .accept
        }
        rows += 1
        lastLine = row.line
        guard row.fieldCount == fieldCount else {
            lastRowBroken = true
            skip(row.line)
            return .accept
        }
        lastRowBroken = false
        do {
            switch kind! {
            case .establishments: try establishment(row)
            case .units: try unit(row)
            }
        } catch let error as InputError {
            failure = error
        } catch {
            failure = InputError(file: file, line: row.line, problem: "\(error)")
        }
        return .accept
    }

    private mutating func skip(_ line: Int) {
        skipped += 1
        if firstSkippedLine == nil { firstSkippedLine = line }
    }

    private mutating func header(_ row: CSVRow) {
        var names: [String] = []
        for i in 0..<row.fieldCount {
            var bytes = row.field(i)
            if i == 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeBufferPointer(rebasing: bytes[3...]) }
            names.append(Bytes.string(Bytes.trimmed(bytes)))
        }
        fieldCount = row.fieldCount
        let isEstablishments = names.contains("siret") || names.contains("nic")
        let isUnits = !isEstablishments && names.contains { $0.hasSuffix("UniteLegale") }
        let wanted: [String], required: [String]
        if isEstablishments {
            kind = .establishments
            (wanted, required) = (SireneImport.establishmentColumns, SireneImport.requiredEstablishmentColumns)
        } else if isUnits {
            kind = .units
            (wanted, required) = (SireneImport.unitColumns, SireneImport.requiredUnitColumns)
        } else {
            kind = .units
            failure = InputError(file: file, line: row.line,
                                 problem: "not a SIRENE stock file: the header has neither `siret` (StockEtablissement) nor `siren` with `…UniteLegale` columns (StockUniteLegale); it starts with \(names.prefix(5).joined(separator: ","))",
                                 hint: "import StockEtablissement_utf8 and StockUniteLegale_utf8 from data.gouv.fr, or extracts with the same header")
            return
        }
        let missing = required.filter { !names.contains($0) }
        guard missing.isEmpty else {
            failure = InputError(file: file, line: row.line,
                                 problem: "a SIRENE \(kind!.rawValue) file must have the columns \(missing.joined(separator: ", ")); they are missing",
                                 hint: "use INSEE's stock file or an extract that keeps its header")
            return
        }
        slots = wanted.map { names.firstIndex(of: $0) ?? -1 }
        do {
            switch kind! {
            case .establishments:
                if inlineKeys {
                    keys = try NameKeyWriter(connection)
                    unitNames = try connection.prepare("SELECT partial, name, acronym, usual_names FROM units WHERE siren = ?")
                }
                insert = try connection.prepare("""
                    INSERT OR REPLACE INTO establishments (siret, active, partial, period_start, head_office, created, headcount, naf,
                        naf_nomenclature, naf2025, names, street_number, street_repeat, street_type, street_name, complement,
                        postal_code, commune_code, city)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            case .units:
                insert = try connection.prepare("""
                    INSERT OR REPLACE INTO units (siren, active, partial, name, acronym, usual_names, legal_category, naf, headcount,
                        size_category, head_office_nic, created)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            }
        } catch let error as InputError {
            failure = error
        } catch {
            failure = InputError(file: file, problem: "\(error)")
        }
    }

    @inline(__always)
    private func field(_ row: CSVRow, _ slot: Int) -> UnsafeBufferPointer<UInt8> {
        let index = slots[slot]
        return index < 0 ? UnsafeBufferPointer(start: nil, count: 0) : row.field(index)
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && zip(bytes, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)).allSatisfy { $0 == $1 }
    }

    private mutating func noteDate(_ bytes: UnsafeBufferPointer<UInt8>) {
        let date = bytes.prefix(10)
        if date.count == 10, latest.lexicographicallyPrecedes(date) { latest = Array(date) }
    }

    /// `a|b|c` from the non-empty fields, into `scratch`.
    private mutating func joined(_ row: CSVRow, _ slotsToJoin: [Int]) {
        scratch.removeAll(keepingCapacity: true)
        for slot in slotsToJoin {
            let value = field(row, slot)
            if value.isEmpty { continue }
            if !scratch.isEmpty { scratch.append(UInt8(ascii: "|")) }
            scratch.append(contentsOf: value)
        }
    }

    /// The identifier, then active (`A`) and partial diffusion (`P`): columns 0, 2 and 1 of
    /// both kinds of file, the first three of both tables.
    private func bindIdentity(_ s: PreparedStatement, _ identifier: Int64, _ row: CSVRow) {
        s.bind(identifier)
        s.bind(StockLoader.equals(field(row, 2), "A") ? 1 : 0)
        s.bind(StockLoader.equals(field(row, 1), "P") ? 1 : 0)
    }

    private mutating func establishment(_ row: CSVRow) throws {
        guard let siret = SiretNumber.number(field(row, 0), digits: 14).map(Int64.init) else { skip(row.line); return }
        let s = insert!
        bindIdentity(s, siret, row)
        s.bind(field(row, 3))
        s.bind(StockLoader.equals(field(row, 4), "true") ? 1 : 0)
        for slot in 5...9 { s.bind(field(row, slot)) }
        joined(row, [10, 11, 12, 13])
        scratch.withUnsafeBufferPointer { s.bind($0) }
        for slot in 14...21 { s.bind(field(row, slot)) }
        noteDate(field(row, 22))
        try s.run()
        if inlineKeys && StockLoader.equals(field(row, 2), "A") && !StockLoader.equals(field(row, 1), "P") {
            try writeKeys(siret: siret, row: row)
        }
    }

    /// Siretisation keys of an open establishment, from its own names and its unit's.
    private mutating func writeKeys(siret: Int64, row: CSVRow) throws {
        let siren = siret / 100_000
        if siren != lastSiren, let unitNames {
            lastSiren = siren
            lastUnit = (false, [])
            unitNames.bind(siren)
            if try unitNames.next() {
                lastUnit = (unitNames.int(0) != 0,
                            NameKeyWriter.unitNames(name: unitNames.text(1), acronym: unitNames.text(2), usual: unitNames.text(3)))
            }
            unitNames.reset()
        }
        guard !lastUnit.partial, keys != nil else { return }
        var names = lastUnit.names
        for slot in 10...13 where !field(row, slot).isEmpty { names.append(String(decoding: field(row, slot), as: UTF8.self)) }
        try keys!.write(siret: siret, names: names, postalCode: String(decoding: field(row, 19), as: UTF8.self))
    }

    private mutating func unit(_ row: CSVRow) throws {
        guard let siren = SiretNumber.number(field(row, 0), digits: 9).map(Int64.init) else { skip(row.line); return }
        let s = insert!
        bindIdentity(s, siren, row)
        // Legal persons have a denomination; sole traders a name and first name.
        if !field(row, 3).isEmpty {
            s.bind(field(row, 3))
        } else {
            let last = field(row, 9).isEmpty ? 8 : 9
            let first = field(row, 11).isEmpty ? 10 : 11
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: field(row, last))
            if !field(row, first).isEmpty {
                if !scratch.isEmpty { scratch.append(0x20) }
                scratch.append(contentsOf: field(row, first))
            }
            scratch.withUnsafeBufferPointer { s.bind($0) }
        }
        s.bind(field(row, 4))
        joined(row, [5, 6, 7])
        scratch.withUnsafeBufferPointer { s.bind($0) }
        for slot in 12...17 { s.bind(field(row, slot)) }
        noteDate(field(row, 18))
        try s.run()
    }
}
