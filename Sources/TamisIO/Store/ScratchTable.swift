import GRDB
import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// One table of the base built in an SQLite file of its own, so that several tables can be
/// written at the same time (SQLite has one writer per database), then copied into the base in
/// one `INSERT INTO … SELECT *`. That copy takes SQLite's transfer path: with the same schema
/// and indexes on both sides and an empty target, rows and index entries are copied as they
/// are stored, without being decoded or encoded again (about 1.4 s for a million source
/// records, against 6–7 s to insert them).
///
/// The scratch file sits beside the base (`<base>.scratch-<table>`: the same file system, not
/// a `/tmp` that may be memory), is readable by its owner only (it holds personal data), is
/// written without a journal (it is thrown away if anything fails), and is removed once
/// copied. One left by a killed run is removed by the next run's write.
struct ScratchTable {
    let table: String
    let path: String
    /// `CREATE TABLE` and `CREATE INDEX` statements, as the base has them.
    private let createTable: String
    private let createIndexes: [String]

    /// The table's definition is read from the base (`db`), so the copy always matches it.
    init(table: String, base: String, db: Database) throws {
        self.table = table
        path = base + ".scratch-" + table
        let rows = try Row.fetchAll(db, sql: "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL",
                                    arguments: [table])
        guard let create = rows.first(where: { ($0["type"] as String) == "table" }) else {
            throw InputError(file: base, problem: "the base has no table \(table)",
                             hint: "the base is damaged; restore it from a backup, or point outputs.base at a new file")
        }
        createTable = create["sql"]
        createIndexes = rows.filter { ($0["type"] as String) == "index" }.map { $0["sql"] }
    }

    /// Removes the scratch file and any journal SQLite may have left beside it.
    func remove() {
        unlink(path)
        unlink(path + "-journal")
    }

    /// Makes a new, empty scratch file holding the table (no rows, no indexes yet), replacing one
    /// a killed run may have left. Done before the base's transaction begins: the base's
    /// connection attaches the file then (SQLite refuses `ATTACH` inside a transaction).
    func create() throws {
        remove()
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)  // owner only, from the start
        guard fd >= 0 else {
            throw InputError(file: path, problem: "cannot create a scratch file for the base: \(String(cString: strerror(errno)))",
                             hint: "check that the base's folder is writable and has room for a copy of the base")
        }
        close(fd)
        try connection { db in
            try db.execute(sql: "PRAGMA page_size = 16384")
            try db.execute(sql: createTable)
        }
    }

    /// Fills the table on a connection of its own (any thread), in one transaction, then
    /// builds the indexes (one sort each, after the rows, rather than row by row).
    func fill(_ body: (Database) throws -> Void) throws {
        do {
            try connection { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
                try db.inTransaction {
                    try body(db)
                    for index in createIndexes { try db.execute(sql: index) }
                    return .commit
                }
            }
        } catch let error as DatabaseError {
            // A full disk, most likely: say where, and what the write needs.
            throw InputError(file: path, problem: "cannot write the base's scratch table \(table): \(error.message ?? "\(error)")",
                             hint: "the previous base is intact; free room in the base's folder (the write needs about the base's size again) and run again")
        }
    }

    private func connection(_ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction(body)
        try queue.close()
    }

    /// The name the base's connection knows the scratch file by while attached.
    var schema: String { "scratch_" + table }

    /// Attaches the (created) scratch file to the base's connection `db`, outside any
    /// transaction (SQLite refuses `ATTACH` inside one), and reads its schema then: read inside
    /// the base's transaction, the lock taken to read it would be held to the end and keep the
    /// table's own connection from writing.
    func attach(to db: Database) throws {
        try db.execute(sql: "ATTACH DATABASE ? AS \(schema)", arguments: [path])
        _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(schema).sqlite_master")
    }

    func detach(from db: Database) {
        try? db.execute(sql: "DETACH DATABASE \(schema)")
    }

    /// Fills the table (`fill`) and returns the seconds it took, or the error: for a thread of
    /// its own, whose caller collects the result once it has joined it.
    func build(_ body: (Database) throws -> Void) -> Result<Double, Error> {
        var clock = Stopwatch()
        return Result {
            try fill(body)
            return clock.lap()
        }
    }

    /// Copies the built rows into the base's (empty) table, on the base's connection `db`, in
    /// its transaction. The scratch file must be attached (`attach`).
    func copy(into db: Database) throws {
        try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM \(schema).\(table)")
    }
}
