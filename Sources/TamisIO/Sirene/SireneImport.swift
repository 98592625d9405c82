import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// Builds the local SIRENE register from INSEE's stock files (`StockEtablissement_utf8.csv`,
/// `StockUniteLegale_utf8.csv`, zipped or not) or any extract with the same header.
///
/// Columns are read by name (INSEE adds some over the years); the kind of each file is told
/// by its header. Rows stream from the (inflated) file: each becomes a record in the register's
/// heap, and its identifier goes to an external sort (`PairBuckets`), so memory stays flat
/// whatever the size (`RegisterLayout` describes the file). Everything goes to a new file next
/// to the register, which replaces the old one by `rename(2)` only once complete: a failed or
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
        /// Seconds per phase: reading the files, indexes, siretisation keys, their index, writing.
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
    /// - Parameter segmentSize: plain files larger than this are read in parts of about this
    ///   size on all cores.
    @discardableResult
    public static func run(files: [String], registerPath: String, stockDate: String? = nil, importedAt: String,
                           segmentSize: Int = 128 << 20, progress: @escaping Progress = { _, _, _, _ in }) throws -> Report {
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
        let out = try BufferedFileWriter(path: temporary)
        try out.write([UInt8](repeating: 0, count: RegisterLayout.headerSize))
        let recordsStart = out.offset
        var watch = Stopwatch()
        var phases: [(String, Double)] = []
        // The files are read at the same time, and big plain files in parts, biggest first:
        // each job writes its records to a heap of its own (the biggest one's straight into the
        // register, the others' to scratch files copied in afterwards) and its identifiers to
        // buckets of its own.
        let parts = StockFilePart.plan(files: files, segmentSize: segmentSize)
        let order = parts.indices.sorted { parts[$0].bytes != parts[$1].bytes ? parts[$0].bytes > parts[$1].bytes : $0 < $1 }
        var jobs = try parts.indices.map { index in
            let heap = index == order[0] ? out : try BufferedFileWriter(path: temporary + ".heap\(index)", scratch: true)
            return StockFileJob(part: parts[index], file: files[parts[index].file], index: index, heap: heap,
                                heapStart: heap === out ? recordsStart : 0, scratch: temporary)
        }
        let reading = ProgressGate(progress, files: files, jobs: jobs)
        ParallelLoop.run(order.count) { [jobs] n in jobs[order[n]].run(progress: reading) }
        // A file cut where a quoted field held a line break: read again, whole.
        for file in Set(jobs.filter { !$0.part.isLast && !$0.endsAtRowStart }.map(\.part.file)).sorted() {
            let first = jobs.first { $0.part.file == file }!
            let again = StockFileJob(part: StockFilePart(file: file, bytes: first.part.bytes), file: files[file], index: first.index,
                                     heap: try BufferedFileWriter(path: temporary + ".heap-again\(file)", scratch: true), heapStart: 0, scratch: temporary)
            again.run(progress: reading)
            jobs.removeAll { $0.part.file == file }
            jobs.append(again)
        }
        jobs.sort { $0.index < $1.index }
        let reports = try StockFileJob.reports(jobs)
        // The other heaps after the one written in place; each job's record offsets move by its heap's base.
        for job in jobs where job.heap !== out {
            job.base = out.offset - recordsStart
            try out.append(job.heap)
        }
        try out.write([UInt8](repeating: 0, count: (16 - out.offset % 16) % 16))  // the sorted sections are 16-byte aligned
        let records = (offset: recordsStart, length: out.offset - recordsStart)
        let latest = jobs.map(\.latest).max { $0.lexicographicallyPrecedes($1) } ?? []
        phases.append(("files", watch.lap()))
        let establishments = try writeIndex(jobs.filter { $0.kind == .establishments }, to: out)
        let units = try writeIndex(jobs.filter { $0.kind == .units }, to: out)
        try out.flush()
        phases.append(("index", watch.lap()))
        let (keyParts, dateParts) = try makeNameKeys(register: try MappedFile(path: temporary), records: records,
                                                     establishments: establishments, units: units, scratch: temporary)
        phases.append(("name keys", watch.lap()))
        let (nameKeys, keyDirectory) = try writeNameKeys(keyParts, to: out)
        let closingDates = try writeClosingDates(dateParts, count: establishments.length / 16, to: out)
        phases.append(("key index", watch.lap()))
        let date = stockDate ?? String(decoding: latest.prefix(10), as: UTF8.self)
        let info = RegisterInfo(stockDate: date, importedAt: importedAt, establishments: establishments.length / 16, units: units.length / 16)
        var meta = ""
        for (key, value) in [("format", SireneRegisterFile.formatVersion), ("stock_date", date), ("imported_at", importedAt),
                             ("establishments", String(info.establishments)), ("units", String(info.units)),
                             ("files", files.map { String($0.split(separator: "/").last ?? "") }.joined(separator: "|"))] {
            meta += key + "=" + value.filter { $0 != "\n" } + "\n"
        }
        let metaSection = (offset: out.offset, length: meta.utf8.count)
        try out.write(Array(meta.utf8))
        try out.flush()
        let header = RegisterLayout.header(sections: [records, establishments, units, nameKeys, keyDirectory, metaSection, closingDates]
            .map { (UInt64($0.offset), UInt64($0.length)) })
        try out.write(header, at: 0)
        guard rename(temporary, registerPath) == 0 else {
            throw InputError(file: registerPath, problem: "cannot replace the register (\(String(cString: strerror(errno))))")
        }
        succeeded = true
        phases.append(("write", watch.lap()))
        return Report(info: info, files: reports, nameKeys: nameKeys.length / 16, seconds: (ContinuousClock.now - clock).seconds,
                      phases: phases)
    }

    // MARK: - Sorted sections

    /// Writes the `(identifier·4 + flags, record offset)` pairs of `jobs` (files of one kind,
    /// in the order given) sorted by identifier. When an identifier was read twice, the later
    /// row wins: the buckets hold `(identifier, record offset·4 + flags)`, and read back with
    /// the file's position in the top byte and its heap's base added, equal identifiers sort
    /// by file, then by row.
    private static func writeIndex(_ jobs: [StockFileJob], to out: BufferedFileWriter) throws -> (offset: Int, length: Int) {
        let start = out.offset
        let parts = jobs.compactMap { job in job.identifiers.map { ($0, UInt64(job.index) << 56 | UInt64(job.base) << 2) } }
        let offsetMask: UInt64 = (1 << 56) - 1
        try PairBuckets.forEachSortedBucket(of: parts) { pairs in
            for (i, pair) in pairs.enumerated() where i + 1 == pairs.count || pairs[i + 1].key != pair.key {
                try out.write(KeyValuePair(key: pair.key << 2 | pair.value & 3, value: (pair.value & offsetMask) >> 2))
            }
        }
        return (start, out.offset - start)
    }

    /// The siretisation keys (`CompanyNameKey.blockingKeys`) of every open, fully diffusible
    /// establishment, from its own names (signs, usual name) and its unit's (legal name,
    /// acronym, usual names), unless the unit is partially diffused: computed on all cores
    /// over the establishments in SIRET order, walking the units alongside, then sorted by key.
    /// Returns one part of `(key, SIRET)` pairs per core, in SIRET order; and, on the same
    /// walk, the closing date of every establishment (`ClosingDate`), one part per core.
    private static func makeNameKeys(register: MappedFile, records: (offset: Int, length: Int), establishments: (offset: Int, length: Int),
                                     units: (offset: Int, length: Int), scratch: String) throws -> (keys: [PairBuckets], closingDates: [BufferedFileWriter]) {
        let heap = UnsafeBufferPointer(rebasing: register.bytes[records.offset..<(records.offset + records.length)])
        let establishmentPairs = register.array(of: KeyValuePair.self, at: establishments.offset, count: establishments.length / 16)
        let unitPairs = register.array(of: KeyValuePair.self, at: units.offset, count: units.length / 16)
        let threads = ParallelLoop.threadCount
        let parts = try (0..<threads).map { try PairBuckets(keyBits: 63, scratch: scratch + ".keys\($0)") }
        let dateParts = try (0..<threads).map { try BufferedFileWriter(path: scratch + ".dates\($0)", scratch: true) }
        let failure = FirstError()
        ParallelLoop.run(threads) { part in
            let range = (establishmentPairs.count * part / threads)..<(establishmentPairs.count * (part + 1) / threads)
            guard !range.isEmpty else { return }
            var unit = unitPairs.lowerBound(identifier: (establishmentPairs[range.lowerBound].key >> 2) / 100_000)
            var builder = CompanyNameKey.KeyBuilder()
            let keys = parts[part], dates = dateParts[part]
            do {
                for position in range {
                    // The pages read so far leave this process (they stay in the page cache):
                    // its memory stays flat whatever the register's size.
                    if position & 0xFFFF == 0 { register.release() }
                    let entry = establishmentPairs[position]
                    if entry.key & 2 == 0 {  // closed: its closing date, for the checks
                        let record = RegisterRecord.View(heap: heap, offset: entry.value, fields: RegisterRecord.establishmentFields)
                        try dates.write(record.map { ClosingDate.code($0.bytes(RegisterRecord.periodStart)) } ?? ClosingDate.unreadable)
                        continue
                    }
                    try dates.write(ClosingDate.none)
                    guard entry.key & 1 == 0 else { continue }  // partial diffusion
                    let siret = entry.key >> 2, siren = siret / 100_000
                    guard let establishment = RegisterRecord.View(heap: heap, offset: entry.value, fields: RegisterRecord.establishmentFields),
                          builder.begin(postalCode: establishment.bytes(RegisterRecord.postalCode)) else { continue }
                    while unit < unitPairs.count && unitPairs[unit].key >> 2 < siren { unit += 1 }
                    if unit < unitPairs.count && unitPairs[unit].key >> 2 == siren {
                        if unitPairs[unit].key & 1 != 0 { continue }  // the unit is partially diffused
                        // Legal name, acronym, usual names: the order siretisation tries them.
                        if let names = RegisterRecord.View(heap: heap, offset: unitPairs[unit].value, fields: RegisterRecord.unitFields) {
                            builder.add(name: names.bytes(RegisterRecord.unitName))
                            builder.add(name: names.bytes(RegisterRecord.acronym))
                            addEach(names.bytes(RegisterRecord.usualNames), to: &builder)
                        }
                    }
                    addEach(establishment.bytes(RegisterRecord.names), to: &builder)
                    for key in builder.keys { try keys.append(key: key, value: siret) }
                }
            } catch {
                failure.record(error)
            }
        }
        if let error = failure.error { throw error }
        return (parts, dateParts)
    }

    /// Writes the closing dates' parts, in order, as one section padded to 16 bytes.
    private static func writeClosingDates(_ parts: [BufferedFileWriter], count: Int, to out: BufferedFileWriter) throws -> (offset: Int, length: Int) {
        try out.write([UInt8](repeating: 0, count: (16 - out.offset % 16) % 16))
        let start = out.offset
        for part in parts { try out.append(part) }
        let length = RegisterLayout.closingDatesLength(count: count)
        guard out.offset - start == count * 2 else {
            throw InputError(file: out.path, problem: "the import wrote \((out.offset - start) / 2) closing dates for \(count) establishments")
        }
        try out.write([UInt8](repeating: 0, count: length - count * 2))
        return (start, length)
    }

    /// Writes the name keys sorted by key then SIRET, and their directory.
    private static func writeNameKeys(_ parts: [PairBuckets], to out: BufferedFileWriter) throws
        -> (keys: (offset: Int, length: Int), directory: (offset: Int, length: Int)) {
        let start = out.offset
        var directory = [UInt64](repeating: 0, count: RegisterLayout.keyDirectoryCount + 1)
        var nextSlot = 0, position: UInt64 = 0
        try PairBuckets.forEachSortedBucket(of: parts.map { ($0, 0) }) { pairs in
            for pair in pairs {
                let slot = Int(pair.key >> RegisterLayout.keyDirectoryShift)
                while nextSlot <= slot { directory[nextSlot] = position; nextSlot += 1 }
                position += 1
            }
            try pairs.withUnsafeBytes { try out.write($0.bindMemory(to: UInt8.self)) }
        }
        while nextSlot <= RegisterLayout.keyDirectoryCount { directory[nextSlot] = position; nextSlot += 1 }
        let keys = (offset: start, length: out.offset - start)
        var directoryBytes: [UInt8] = []
        directoryBytes.reserveCapacity(directory.count * 8)
        for value in directory { RegisterLayout.append(value, to: &directoryBytes) }
        try out.write(directoryBytes)
        return (keys, (keys.offset + keys.length, directory.count * 8))
    }
}

/// Adds each name of a `|`-joined list.
private func addEach(_ joined: UnsafeBufferPointer<UInt8>, to builder: inout CompanyNameKey.KeyBuilder) {
    var start = 0
    for i in 0...joined.count where i == joined.count || joined[i] == UInt8(ascii: "|") {
        if i > start { builder.add(name: UnsafeBufferPointer(rebasing: joined[start..<i])) }
        start = i + 1
    }
}

/// Receives the rows of one stock file: each row's record goes to the heap, its identifier
/// and the record's place to the index buckets.
struct StockLoader: CSVRowHandler {
    let file: String
    let records: BufferedFileWriter
    let recordsStart: Int
    let scratch: String
    /// The identifiers read and where their records are, made once the header tells the kind.
    private(set) var identifiers: PairBuckets?
    var kind: SireneImport.Kind?
    var failure: InputError?
    var rows = 0
    var reportedRows = 0
    var skipped = 0
    var firstSkippedLine: Int?
    var lastLine = 0
    var lastRowBroken = false
    var latest: [UInt8] = []
    /// Field index of each wanted column (-1: absent).
    private var slots: [Int] = []
    private var fieldCount = 0

    init(file: String, records: BufferedFileWriter, recordsStart: Int, scratch: String) {
        self.file = file
        self.records = records
        self.recordsStart = recordsStart
        self.scratch = scratch
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
            // SIRETs are below 10¹⁴ < 2⁴⁷, SIRENs below 10⁹ < 2³⁰.
            // Small buffers (4 MB a part at most): there are as many sets as parts of files.
            identifiers = try PairBuckets(keyBits: kind == .establishments ? 47 : 30, scratch: scratch, bufferPairs: 256)
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

    /// Active (`A`) and partial diffusion (`P`): columns 2 and 1 of both kinds of file, as the
    /// index's flags (bit 1 active, bit 0 partial).
    private func stateFlags(_ row: CSVRow) -> UInt64 {
        (StockLoader.equals(field(row, 2), "A") ? 2 : 0) | (StockLoader.equals(field(row, 1), "P") ? 1 : 0)
    }

    /// The non-empty fields of `slotsToJoin` as one field, `a|b|c`.
    private func joined(_ row: CSVRow, _ slotsToJoin: [Int], into record: inout RegisterRecord.Encoder) {
        var length = -1
        for slot in slotsToJoin where !field(row, slot).isEmpty { length += field(row, slot).count + 1 }
        record.length(max(0, length))
        var first = true
        for slot in slotsToJoin where !field(row, slot).isEmpty {
            if !first { record.raw(StockLoader.bar) }
            record.raw(field(row, slot))
            first = false
        }
    }

    private static let bar = UnsafeBufferPointer(start: ("|" as StaticString).utf8Start, count: 1)

    /// A record started at the end of the heap, with room for any record made from `row`.
    private func beginRecord(_ row: CSVRow, flags: UInt8) throws -> RegisterRecord.Encoder {
        RegisterRecord.Encoder(start: try records.reserve(RegisterRecord.Encoder.capacity(forRowBytes: row.bytes.count)), flags: flags)
    }

    /// Ends the record in the heap, and notes its identifier and place.
    private func endRecord(_ record: RegisterRecord.Encoder, identifier: UInt64, flags: UInt64) throws {
        let offset = UInt64(records.offset - recordsStart)
        records.commit(record.count)
        try identifiers!.append(key: identifier, value: offset << 2 | flags)
    }

    private mutating func establishment(_ row: CSVRow) throws {
        guard let siret = SiretNumber.number(field(row, 0), digits: 14) else { skip(row.line); return }
        let flags = stateFlags(row)
        noteDate(field(row, 22))
        // Record flags: bit 0 active, bit 1 partial, bit 2 head office.
        var record = try beginRecord(row, flags: UInt8(flags >> 1) | UInt8(flags & 1) << 1 | (StockLoader.equals(field(row, 4), "true") ? 4 : 0))
        record.field(field(row, 3))
        for slot in 5...9 { record.field(field(row, slot)) }
        joined(row, [10, 11, 12, 13], into: &record)
        for slot in 14...21 { record.field(field(row, slot)) }
        try endRecord(record, identifier: siret, flags: flags)
    }

    private mutating func unit(_ row: CSVRow) throws {
        guard let siren = SiretNumber.number(field(row, 0), digits: 9) else { skip(row.line); return }
        let flags = stateFlags(row)
        noteDate(field(row, 18))
        var record = try beginRecord(row, flags: UInt8(flags >> 1) | UInt8(flags & 1) << 1)
        // Legal persons have a denomination; sole traders a name and first name.
        if !field(row, 3).isEmpty {
            record.field(field(row, 3))
        } else {
            let last = field(row, field(row, 9).isEmpty ? 8 : 9)
            let first = field(row, field(row, 11).isEmpty ? 10 : 11)
            record.length(last.count + (first.isEmpty ? 0 : (last.isEmpty ? 0 : 1) + first.count))
            record.raw(last)
            if !first.isEmpty {
                if !last.isEmpty { record.raw(StockLoader.space) }
                record.raw(first)
            }
        }
        record.field(field(row, 4))
        joined(row, [5, 6, 7], into: &record)
        for slot in 12...17 { record.field(field(row, slot)) }
        try endRecord(record, identifier: siren, flags: flags)
    }

    private static let space = UnsafeBufferPointer(start: (" " as StaticString).utf8Start, count: 1)
}
