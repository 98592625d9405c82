import GRDB
#if canImport(Glibc)
import Glibc
#endif
import TamisCore

/// One run, as recorded in the base.
public struct RunRow: Sendable, Equatable {
    public var runID: String
    public var pipeline: String
    public var startedAt: String
    public var finishedAt: String
    public var balance: LineageBalance
    public var summaryJSON: String

    public init(runID: String, pipeline: String, startedAt: String, finishedAt: String,
                balance: LineageBalance, summaryJSON: String) {
        self.runID = runID
        self.pipeline = pipeline
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.balance = balance
        self.summaryJSON = summaryJSON
    }
}

/// The embedded SQLite base: source records, golden records, lineage and runs.
///
/// A run is written in one transaction: if the process dies before the commit, SQLite's
/// journal rolls it back and the previous base is intact.
public final class ProspectBase {
    public let path: String
    let queue: DatabaseQueue

    /// - Parameter fileMode: permissions of the database file (it holds personal data).
    public init(path: String, fileMode: mode_t = 0o600) throws {
        self.path = path
        try OutputDirectory.makeDirectories(OutputDirectory.parent(of: path))
        _ = SQLiteSetup.configured
        do {
            var config = Configuration()
            config.busyMode = .timeout(5)
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA page_size = 16384") }
            queue = try DatabaseQueue(path: path, configuration: config)
            try ProspectBase.migrator.migrate(queue)
            chmod(path, fileMode)
        } catch let error as DatabaseError {
            throw InputError(file: path, problem: "cannot open the base: \(error.message ?? "\(error)")",
                             hint: "is it a Tamis base (SQLite)? Point outputs.base at a new file to start a new base")
        }
    }

    static let canonicalColumns = CanonicalField.allCases.map(\.name)
    /// The canonical columns as the first schema had them (later migrations add the others).
    static let v1Columns = CanonicalField.allCases.filter { $0 < .establishmentID }.map(\.name)
    /// The columns the SIRENE stage fills (migration v4).
    static let v4Columns = CanonicalField.allCases.filter { $0 > .establishmentID }.map(\.name)

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.create(table: "runs") { t in
                t.primaryKey("run_id", .text)
                t.column("pipeline", .text).notNull()
                t.column("started_at", .text).notNull()
                t.column("finished_at", .text).notNull()
                t.column("inputs", .integer).notNull()
                t.column("kept", .integer).notNull()
                t.column("merged", .integer).notNull()
                t.column("excluded", .integer).notNull()
                t.column("rejected", .integer).notNull()
                t.column("summary_json", .text).notNull()
            }
            try db.create(table: "golden_records") { t in
                t.primaryKey("golden_id", .text)
                for name in v1Columns { t.column(name, .text) }
                t.column("segments", .text).notNull().defaults(to: "")
                t.column("member_count", .integer).notNull()
                t.column("sources", .text).notNull()
                t.column("run_id", .text).notNull()
            }
            try db.create(table: "source_records") { t in
                t.column("source", .text).notNull()
                t.column("source_id", .text).notNull()
                t.column("file", .text).notNull()
                t.column("line", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("golden_id", .text)
                for name in v1Columns { t.column(name, .text) }
                t.column("raw_json", .text).notNull()
                t.column("extras_json", .text).notNull()
                t.column("quality", .text).notNull().defaults(to: "")
                t.column("run_id", .text).notNull()
            }
            try db.create(index: "source_records_golden", on: "source_records", columns: ["golden_id"])
            try db.create(table: "lineage") { t in
                t.column("run_id", .text).notNull()
                t.column("source", .text).notNull()
                t.column("source_id", .text).notNull()
                t.column("file", .text).notNull()
                t.column("line", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("golden_id", .text)
                t.column("reason", .text)
                t.column("rule", .text)
            }
            try db.create(index: "lineage_run", on: "lineage", columns: ["run_id"])
        }
        migrator.registerMigration("v2-refresh") { db in
            // A record's identity across runs, and the golden record it last belonged to.
            try db.alter(table: "source_records") { t in
                t.add(column: "record_key", .text).notNull().defaults(to: "")
                t.add(column: "has_own_id", .integer).notNull().defaults(to: 1)
                t.add(column: "last_golden_id", .text)
            }
            try db.execute(sql: "UPDATE source_records SET record_key = source || char(31) || source_id, last_golden_id = golden_id")
            try db.create(table: "sources") { t in
                t.primaryKey("name", .text)
                t.column("trust", .integer).notNull()
            }
            // Every golden ID ever issued: active, merged into another, or retired (excluded,
            // purged, removed). An ID is never issued twice.
            try db.create(table: "golden_ids") { t in
                t.primaryKey("golden_id", .text)
                t.column("status", .text).notNull()
                t.column("merged_into", .text)
                t.column("reason", .text)
                t.column("created_run", .text).notNull()
                t.column("changed_run", .text).notNull()
            }
            try db.execute(sql: """
                INSERT INTO golden_ids (golden_id, status, created_run, changed_run)
                SELECT golden_id, 'active', run_id, run_id FROM golden_records
                """)
            try db.create(table: "changes") { t in
                t.column("run_id", .text).notNull()
                t.column("change", .text).notNull()
                t.column("golden_id", .text).notNull()
                t.column("field", .text)
                t.column("old_value", .text)
                t.column("new_value", .text)
                t.column("detail", .text)
            }
            try db.create(index: "changes_run", on: "changes", columns: ["run_id"])
            try db.create(index: "changes_golden", on: "changes", columns: ["golden_id"])
        }
        migrator.registerMigration("v3-establishments") { db in
            try db.alter(table: "golden_records") { t in t.add(column: "establishment_id", .text) }
            try db.alter(table: "source_records") { t in t.add(column: "establishment_id", .text) }
            try db.create(index: "golden_records_establishment", on: "golden_records", columns: ["establishment_id"])
        }
        migrator.registerMigration("v4-sirene") { db in
            for table in ["golden_records", "source_records"] {
                try db.alter(table: table) { t in for name in v4Columns { t.add(column: name, .text) } }
            }
        }
        return migrator
    }

    /// Replaces the base's records with this run's (a refresh has already merged the stored
    /// ones into `state`), updates the golden-ID registry, and appends the run's changes,
    /// lineage and run row, in one transaction. Purged records (retention) are not stored:
    /// lineage alone says where they came from and why they went. `checkpoint` is called at a
    /// few points (fault-injection tests); `beforeCommit` last, inside the transaction (what
    /// must succeed before the run is committed: the output files being staged). `summaryJSON`,
    /// when given, is asked for the run row's summary last (it may still be in the making).
    ///
    /// The golden and source records are built in scratch files of their own (`ScratchTable`),
    /// on two threads, while this one writes the lineage into the base; both tables are then
    /// copied in. Returns the seconds each part took (those up to "all the above at once"
    /// overlap).
    @discardableResult
    public func write(run: RunRow, state: RunState, lineage: some RandomAccessCollection<LineageEntry>, changes: [BaseChange] = [],
                      checkpoint: (String) -> Void = { _ in }, summaryJSON: (() throws -> String)? = nil,
                      beforeCommit: () throws -> Void = {}) throws -> [(part: String, seconds: Double)] {
        var times: [(part: String, seconds: Double)] = []
        var clock = Stopwatch()
        let (golden, sources) = try queue.read { db in
            (try ScratchTable(table: "golden_records", base: path, db: db), try ScratchTable(table: "source_records", base: path, db: db))
        }
        defer {
            golden.remove()
            sources.remove()
        }
        try golden.create()
        try sources.create()
        try queue.writeWithoutTransaction { db in
            try golden.attach(to: db)
            defer { golden.detach(from: db) }
            try sources.attach(to: db)
            defer { sources.detach(from: db) }
            // Deferred: an immediate transaction would lock the attached scratch files too.
            try db.inTransaction(.deferred) {
                try db.execute(sql: "DELETE FROM golden_records")
                try db.execute(sql: "DELETE FROM source_records")
                // The source records (the longest) are built on one thread from the start; the
                // golden records on another while this one writes the lineage; once they are
                // built, this one copies them in and updates the ID registry from them, while
                // the source records may still be in the making. Each build's result is read
                // only after its thread is joined.
                var goldenBuilt: Result<Double, Error> = .success(0), sourcesBuilt: Result<Double, Error> = .success(0)
                try ParallelLoop.alongside(1, { _ in
                    sourcesBuilt = sources.build { try ProspectBase.insertSources($0, run: run, state: state) }
                }) {
                    var clock = Stopwatch()
                    try ParallelLoop.alongside(1, { _ in
                        goldenBuilt = golden.build { try ProspectBase.insertGolden($0, run: run, state: state, checkpoint: checkpoint) }
                    }) {
                        try ProspectBase.insertLineage(db, run: run, lineage: lineage)
                        times.append(("lineage", clock.lap()))
                    }
                    times.append(("golden records", try goldenBuilt.get()))
                    times.append(("waiting for them", clock.lap()))
                    try golden.copy(into: db)
                    try ProspectBase.writeRegistry(db, run: run.runID, state: state, changes: changes, block: ProspectBase.block)
                    times.append(("copying them in, registry and changes", clock.lap()))
                }
                times.append(("source records", try sourcesBuilt.get()))
                times.append(("all the above at once", clock.lap()))
                try sources.copy(into: db)
                times.append(("copying the source records in", clock.lap()))
                try db.execute(sql: """
                    INSERT INTO runs (run_id, pipeline, started_at, finished_at, inputs, kept, merged, excluded, rejected, summary_json)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run.runID, run.pipeline, run.startedAt, run.finishedAt, run.balance.inputs,
                                     run.balance.kept, run.balance.merged, run.balance.excluded, run.balance.rejected,
                                     try summaryJSON?() ?? run.summaryJSON])
                try beforeCommit()  // an error here rolls the whole run back
                times.append(("waiting for the files", clock.lap()))
                checkpoint("db-commit")
                return .commit
            }
        }
        times.append(("commit", clock.lap()))
        return times
    }

    /// Rows of a block encoded on a helper thread, ahead of the inserts.
    static let block = 2048

    /// The golden records, in ID order. Their sources and segments text is made on the other
    /// core, a block ahead (as the source records' text).
    static func insertGolden(_ db: Database, run: RunRow, state: RunState, checkpoint: (String) -> Void) throws {
        let columns = ProspectBase.canonicalColumns
        let golden = try db.makeStatement(sql: """
            INSERT INTO golden_records (golden_id, \(columns.joined(separator: ", ")), segments, member_count, sources, run_id)
            VALUES (?\(String(repeating: ", ?", count: columns.count + 4)))
            """)
        var row = RowBinder(golden)
        var sourceList = GoldenSourceList(sources: state.sources)
        let goldenOrder = StringPrefixKey.sortedIndices(state.golden.map(\.id))
        let goldenRecords = state.golden, records = state.records
        let block = ProspectBase.block
        // Sources and segments text made on the other core, a block ahead (as below).
        try Pipelined.run(goldenOrder.count, block: block, produce: { range in
            var text = EncodedRows(capacity: block, valuesPerRow: 3)
            for g in goldenOrder[range] {
                let record = goldenRecords[g]
                text.append(record.id)
                sourceList.append(record, records: records, to: &text.bytes)
                text.endValue()
                record.appendSegments(to: &text.bytes)
                text.endValue()
            }
            return text
        }, consume: { range, text in
            // Golden records read where they are, not copied (as the source records below).
            try text.bytes.withUnsafeBufferPointer { bytes in
                try goldenRecords.withUnsafeBufferPointer { goldenRecords in
                for (n, position) in range.enumerated() {
                    let g = goldenOrder[position]
                    try goldenRecords[g].fields.withValueBytes { values in
                        text.bind(n, 0, to: &row, in: bytes)  // golden_id
                        for field in 0..<CanonicalField.count {
                            row.bindInPlace(UnsafeBufferPointer(rebasing: values[goldenRecords[g].fields.valueRange(field)]))
                        }
                        text.bind(n, 2, to: &row, in: bytes)  // segments
                        row.bind(goldenRecords[g].members.count)
                        text.bind(n, 1, to: &row, in: bytes)  // sources
                        row.bind(goldenRecords[g].since ?? run.runID)
                        try row.step(db)
                    }
                    if position == goldenOrder.count / 2 { checkpoint("db-write") }
                }
                }
            }
        })
    }

    /// The source records, in the run's order.
    static func insertSources(_ db: Database, run: RunRow, state: RunState) throws {
        let block = ProspectBase.block
        let columns = ProspectBase.canonicalColumns
        let goldenRecords = state.golden, records = state.records
        let source = try db.makeStatement(sql: """
            INSERT INTO source_records (source, source_id, file, line, status, golden_id, \(columns.joined(separator: ", ")), raw_json, extras_json, quality, run_id, record_key, has_own_id, last_golden_id)
            VALUES (?, ?, ?, ?, ?, ?\(String(repeating: ", ?", count: columns.count + 7)))
            """)
        var row = RowBinder(source)
        let rawKeys = JSONText.Keys(ProspectBase.canonicalColumns)
        func extraKeys(_ info: SourceInfo, _ count: Int) -> JSONText.Keys {
            JSONText.Keys((0..<count).map { $0 < info.extraNames.count ? info.extraNames[$0] : "extra_\($0)" })
        }
        let extraKeysBySource = state.sources.map { extraKeys($0, 64) }
        // Each block's text (names, IDs, raw and extra values as JSON, quality, identity key)
        // is made on the other core, a block ahead of the inserts: this thread only binds
        // the text and the record's values in place, and steps.
        let outcomes = state.outcomes, history = state.history, infos = state.sources, files = state.files
        var identity = history.isEmpty ? RecordIdentity.Keys(sources: infos, records: records) : RecordIdentity.Keys(sources: infos)
        try Pipelined.run(records.count, block: block, produce: { range in
            var text = EncodedRows(capacity: block, valuesPerRow: 11)
            for i in range {
                let record = records[i]
                let key = history.isEmpty ? identity.next(record) : history[i].key  // every record, in order: repeats numbered
                let outcome = outcomes[i]
                if outcome.purged { text.skip(); continue }
                let past = history.isEmpty ? nil : history[i]
                let goldenID = outcome.disposition == .excluded ? nil : outcome.goldenIndex.map { goldenRecords[$0].id }
                text.append(infos[record.origin.sourceIndex].name)
                text.append(record.origin.sourceID)
                text.append(record.origin.fileIndex < files.count ? files[record.origin.fileIndex] : "")
                text.append(outcome.disposition.rawValue)
                text.append(goldenID)
                JSONText.appendObject(keys: rawKeys, fields: record.raw, to: &text.bytes)
                text.endValue()
                JSONText.appendObject(keys: record.extras.count <= 64 ? extraKeysBySource[record.origin.sourceIndex]
                                                                      : extraKeys(infos[record.origin.sourceIndex], record.extras.count),
                                      fields: record.extras, to: &text.bytes)
                text.endValue()
                ProspectBase.appendQualityText(record, to: &text.bytes)  // "" when none (NOT NULL)
                text.endValue()
                text.append(past?.since ?? run.runID)
                text.append(key)
                text.append(goldenID ?? past?.previousGoldenID)  // last_golden_id
            }
            return text
        }, consume: { range, text in
            // Records read where they are: a copy of each would retain its buffers, on the
            // cache lines the producer's thread is reading too.
            try text.bytes.withUnsafeBufferPointer { bytes in
                try records.withUnsafeBufferPointer { records in
                    for (n, i) in range.enumerated() where !text.isNil(n, 0) {  // nil: purged, not stored
                        try records[i].value.withValueBytes { values in
                            for k in 0..<3 { text.bind(n, k, to: &row, in: bytes) }  // source, source_id, file
                            row.bind(records[i].origin.line)
                            for k in 3..<5 { text.bind(n, k, to: &row, in: bytes) }  // status, golden_id
                            for field in 0..<CanonicalField.count {
                                row.bindInPlace(UnsafeBufferPointer(rebasing: values[records[i].value.valueRange(field)]))
                            }
                            for k in 5..<10 { text.bind(n, k, to: &row, in: bytes) }  // raw_json, extras_json, quality, run_id, record_key
                            row.bind(records[i].origin.hasOwnID ? 1 : 0)
                            text.bind(n, 10, to: &row, in: bytes)  // last_golden_id
                            try row.step(db)
                        }
                    }
                }
            }
        })
    }

    /// The run's lineage, appended to the base's.
    static func insertLineage(_ db: Database, run: RunRow, lineage: some RandomAccessCollection<LineageEntry>) throws {
        let block = ProspectBase.block
        let lineageInsert = try db.makeStatement(sql: """
            INSERT INTO lineage (run_id, source, source_id, file, line, status, golden_id, reason, rule)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var row = RowBinder(lineageInsert)
        // Entries made and their text encoded on the other core, a block ahead (as above).
        try Pipelined.run(lineage.count, block: block, produce: { range in
            var text = EncodedRows(capacity: block, valuesPerRow: 7)
            var lines: [Int] = []
            lines.reserveCapacity(block)
            for i in range {
                let entry = lineage[lineage.index(lineage.startIndex, offsetBy: i)]
                text.append(entry.source)
                text.append(entry.sourceID)
                text.append(entry.file)
                text.append(entry.disposition.rawValue)
                text.append(entry.goldenID)
                text.append(entry.reasonCode)
                text.append(entry.rule)
                lines.append(entry.line)
            }
            return (text, lines)
        }, consume: { _, item in
            let (text, lines) = item
            var runID = run.runID
            try runID.withUTF8 { runID in
                try text.bytes.withUnsafeBufferPointer { bytes in
                    for n in lines.indices {
                        row.bindInPlace(runID, notNull: true)
                        for k in 0..<3 { text.bind(n, k, to: &row, in: bytes) }  // source, id, file
                        row.bind(lines[n])
                        for k in 3..<7 { text.bind(n, k, to: &row, in: bytes) }  // status, golden ID, reason, rule
                        try row.step(db)
                    }
                }
            }
        })
    }

    /// Golden-ID registry, source trust, and the run's changes. The golden records must be
    /// written already: the registry takes their IDs from the table.
    static func writeRegistry(_ db: Database, run: String, state: RunState, changes: [BaseChange], block: Int) throws {
        // One statement over the golden records just written (in ID order): SQLite walks them
        // itself, instead of a bind and a step per ID (0.5 s rather than about 1.5 s for 600,000).
        // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT.
        try db.execute(sql: """
            INSERT INTO golden_ids (golden_id, status, created_run, changed_run)
            SELECT golden_id, 'active', ?1, ?1 FROM golden_records WHERE true
            ON CONFLICT(golden_id) DO UPDATE SET status = 'active', merged_into = NULL, reason = NULL,
                changed_run = excluded.changed_run WHERE status != 'active'
            """, arguments: [run])
        for change in changes {
            switch change.kind {
            case .merged:
                try db.execute(sql: "UPDATE golden_ids SET status = 'merged', merged_into = ?, changed_run = ? WHERE golden_id = ?",
                               arguments: [change.detail, run, change.goldenID])
            case .excluded, .purged, .removed:
                try db.execute(sql: "UPDATE golden_ids SET status = 'retired', reason = ?, changed_run = ? WHERE golden_id = ?",
                               arguments: [change.kind.rawValue + (change.detail.map { ": " + $0 } ?? ""), run, change.goldenID])
            case .new, .updated:
                break
            }
        }
        let trust = try db.makeStatement(sql: "INSERT OR REPLACE INTO sources (name, trust) VALUES (?, ?)")
        for info in state.sources { try trust.execute(arguments: [info.name, info.trust]) }
        let insert = try db.makeStatement(sql: """
            INSERT INTO changes (run_id, change, golden_id, field, old_value, new_value, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        var row = RowBinder(insert)
        // Text encoded on the other core, a block ahead, and bound in place (as the lineage).
        try Pipelined.run(changes.count, block: block, produce: { range in
            var text = EncodedRows(capacity: block, valuesPerRow: 6)
            for change in changes[range] {
                text.append(change.kind.rawValue)
                text.append(change.goldenID)
                text.append(change.field)
                text.append(change.oldValue)
                text.append(change.newValue)
                text.append(change.detail)
            }
            return text
        }, consume: { range, text in
            var runID = run
            try runID.withUTF8 { runID in
                try text.bytes.withUnsafeBufferPointer { bytes in
                    for n in 0..<range.count {
                        row.bindInPlace(runID, notNull: true)
                        for k in 0..<6 { text.bind(n, k, to: &row, in: bytes) }
                        try row.step(db)
                    }
                }
            }
        })
    }

    /// The base as the last run left it, for a refresh or the diff of a rebuild.
    public func previous() throws -> PreviousBase {
        try queue.read { db in
            var base = PreviousBase()
            // Columns by position and text as bytes: a million rows read in seconds.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT source, source_id, has_own_id, file, line, record_key, COALESCE(golden_id, last_golden_id),
                       raw_json, extras_json, run_id, rowid FROM source_records ORDER BY rowid
                """)
            var values = [[UInt8]](repeating: [], count: CanonicalField.count)
            while let row = try rows.next() {
                // A value that does not read back is damage: stop rather than carry an empty record.
                func object(_ index: Int, _ column: String) throws -> [(String, [UInt8])] {
                    if let pairs = try row.withUnsafeData(atIndex: index, { $0.flatMap { JSONText.parseObject($0) } }) { return pairs }
                    throw InputError(file: path, problem: "source_records row \(row[10] as Int): \(column) is not a JSON object of text values",
                                     hint: "the base is damaged; restore it from a backup, or rebuild it with tamis run --rebuild")
                }
                for i in values.indices { values[i].removeAll(keepingCapacity: true) }
                for (name, value) in try object(7, "raw_json") {
                    if let field = CanonicalField(name: name) { values[field.rawValue] = value }
                }
                var builder = PackedFields.Builder(count: CanonicalField.count)
                for value in values { builder.append(value) }
                base.records.append(StoredRecord(
                    key: row[5], source: row[0], sourceID: row[1],
                    hasOwnID: (row[2] as Int) != 0, file: row[3], line: row[4],
                    goldenID: row[6], raw: builder.finish(), extras: try object(8, "extras_json"), since: row[9]))
            }
            let columns = GoldenSnapshot.keys.joined(separator: ", ")
            let golden = try Row.fetchCursor(db, sql: "SELECT golden_id, run_id, \(columns) FROM golden_records")
            while let row = try golden.next() {
                var builder = PackedFields.Builder(count: GoldenSnapshot.keys.count)
                for k in 0..<GoldenSnapshot.keys.count {
                    try row.withUnsafeData(atIndex: k + 2) { data in
                        if let data { builder.append(data) } else { builder.appendEmpty() }
                    }
                }
                let id: String = row[0]
                base.golden[id] = GoldenSnapshot(values: builder.finish())
                base.goldenSince[id] = row[1]
            }
            for row in try Row.fetchAll(db, sql: "SELECT golden_id, status FROM golden_ids") {
                let id: String = row["golden_id"]
                base.issuedIDs.insert(id)
                if (row["status"] as String) == "merged" { base.mergedIDs.insert(id) }
            }
            for row in try Row.fetchAll(db, sql: "SELECT name, trust FROM sources") {
                base.sourceTrust[row["name"]] = row["trust"]
            }
            return base
        }
    }

    /// The changes a run made (`changes.csv` of that run), in the order written.
    public func changes(run runID: String) throws -> [BaseChange] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM changes WHERE run_id = ? ORDER BY rowid", arguments: [runID]).map { row in
                BaseChange(kind: BaseChange.Kind(rawValue: row["change"]) ?? .updated, goldenID: row["golden_id"],
                           field: row["field"], oldValue: row["old_value"], newValue: row["new_value"], detail: row["detail"])
            }
        }
    }

    /// Appends the record's notable field qualities (`siret=invalid:bad_checksum;siren=valid:siren_from_siret`)
    /// to `out`: the fields repaired, invalid or carrying a reason.
    static func appendQualityText(_ record: ProspectRecord, to out: inout [UInt8]) {
        let start = out.count  // `out` may already hold other values (a block of rows)
        for (index, quality) in record.quality.enumerated() where quality.status == .repaired || quality.status == .invalid || quality.reason != .none {
            guard let field = CanonicalField(rawValue: index) else { continue }
            if out.count > start { out.append(0x3B) }  // ;
            out.append(contentsOf: field.name.utf8)
            out.append(0x3D)  // =
            out.append(contentsOf: quality.status.name.utf8)
            if quality.reason != .none {
                out.append(0x3A)  // :
                out.append(contentsOf: quality.reason.code.utf8)
            }
        }
    }

    public func runs() throws -> [RunRow] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at, run_id").map { row in
                var balance = LineageBalance()
                balance.inputs = row["inputs"]
                balance.kept = row["kept"]
                balance.merged = row["merged"]
                balance.excluded = row["excluded"]
                balance.rejected = row["rejected"]
                return RunRow(runID: row["run_id"], pipeline: row["pipeline"], startedAt: row["started_at"],
                              finishedAt: row["finished_at"], balance: balance, summaryJSON: row["summary_json"])
            }
        }
    }

    /// SQLite's own consistency check: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    /// Row count of a table (for tests and `tamis inspect` of a base).
    public func count(_ table: String) throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    /// A table's rows as text, in storage order (tests compare bases before and after a run).
    public func dump(_ table: String) throws -> [String] {
        precondition(["golden_records", "source_records", "golden_ids", "sources", "changes", "lineage", "runs"].contains(table))
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid").map { row in
                row.columnNames.map { "\($0)=\(row[$0] as DatabaseValue)" }.joined(separator: "|")
            }
        }
    }

    /// Lineage rows of a run, grouped by status.
    public func lineageCounts(run runID: String) throws -> [String: Int] {
        try queue.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM lineage WHERE run_id = ? GROUP BY status", arguments: [runID]) {
                counts[row["status"]] = row["n"]
            }
            return counts
        }
    }

    /// Every golden record as column name → value (empty values left out), sorted by id.
    /// Only golden records are in this table: excluded, suppressed and purged records never are.
    public func goldenRows() throws -> [[String: String]] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM golden_records ORDER BY golden_id").map { row in
                var values: [String: String] = [:]
                for column in row.columnNames {
                    let value: DatabaseValue = row[column]
                    switch value.storage {
                    case .string(let text) where !text.isEmpty: values[column] = text
                    case .int64(let number): values[column] = String(number)
                    case .double(let number): values[column] = String(number)
                    default: break
                    }
                }
                return values
            }
        }
    }

    /// The golden records' values for one column, sorted (tests, exports).
    public func goldenValues(_ column: String) throws -> [String?] {
        precondition(ProspectBase.canonicalColumns.contains(column) || column == "golden_id")
        return try queue.read { db in
            try String?.fetchAll(db, sql: "SELECT \(column) FROM golden_records ORDER BY golden_id")
        }
    }
}

/// Text values made ahead of the inserts, for a block of rows: one buffer, an end per value.
struct EncodedRows {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    /// Whether each value is nil (bound as NULL, where an empty one is "").
    var nils: [Bool] = []
    let valuesPerRow: Int

    init(capacity rows: Int, valuesPerRow: Int) {
        self.valuesPerRow = valuesPerRow
        bytes.reserveCapacity(rows * 128 * valuesPerRow)
        ends.reserveCapacity(rows * valuesPerRow)
    }

    /// Ends the value written since the previous one.
    mutating func endValue() {
        ends.append(bytes.count)
        nils.append(false)
    }

    /// Appends a whole value: text, or nil.
    mutating func append(_ value: String?) {
        if let value { bytes.append(contentsOf: value.utf8) }
        ends.append(bytes.count)
        nils.append(value == nil)
    }

    /// Whether value `k` of row `n` is nil.
    func isNil(_ n: Int, _ k: Int) -> Bool { nils[n * valuesPerRow + k] }

    /// A row with no values (not stored): nil ones, to keep positions.
    mutating func skip() { for _ in 0..<valuesPerRow { append(nil) } }

    /// Binds value `k` of row `n` in place: NULL when nil, else its text ("" stays "").
    /// `bytes` is this buffer's, held by the caller until the row is stepped.
    func bind(_ n: Int, _ k: Int, to row: inout RowBinder, in bytes: UnsafeBufferPointer<UInt8>) {
        let i = n * valuesPerRow + k
        if nils[i] { row.bindNull() } else {
            row.bindInPlace(UnsafeBufferPointer(rebasing: bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]), notNull: true)
        }
    }
}
