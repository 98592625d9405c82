import GRDBSQLite

/// A bare SQLite connection for the SIRENE register: bulk loading tens of millions of rows
/// and point lookups from several threads want prepared statements bound straight from bytes,
/// without GRDB's per-value boxing (GRDB keeps the prospect base, where migrations and
/// transactions matter more than raw speed).
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?

    init(path: String, readOnly: Bool) throws {
        self.path = path
        _ = SQLiteSetup.configured
        let flags = readOnly ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(code)"
            sqlite3_close(handle)
            handle = nil
            throw InputError(file: path, problem: "cannot open the SIRENE register: \(message)",
                             hint: "build it with `tamis sirene import StockEtablissement_utf8.zip StockUniteLegale_utf8.zip --register \(path)`")
        }
    }

    deinit { sqlite3_close_v2(handle) }

    func error(_ what: String) -> InputError {
        InputError(file: path, problem: "\(what): \(String(cString: sqlite3_errmsg(handle)))")
    }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw InputError(file: path, problem: "SQLite: \(text) (\(sql.prefix(60)))")
        }
    }

    func prepare(_ sql: String) throws -> PreparedStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw error("cannot prepare \(sql.prefix(60))")
        }
        return PreparedStatement(statement: statement, connection: self)
    }
}

/// A prepared statement: bind, step, read columns.
final class PreparedStatement {
    let statement: OpaquePointer
    unowned let connection: SQLiteConnection
    private var index: Int32 = 1

    init(statement: OpaquePointer, connection: SQLiteConnection) {
        self.statement = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(statement) }

    /// Empty bytes are NULL.
    func bind(_ bytes: UnsafeBufferPointer<UInt8>) {
        RowBinder.bindText(statement, index, bytes)
        index += 1
    }

    func bind(_ text: String) {
        var text = text
        text.withUTF8 { bind($0) }
    }

    func bind(_ number: Int64) {
        sqlite3_bind_int64(statement, index, number)
        index += 1
    }

    /// Runs an INSERT / UPDATE and resets the statement.
    func run() throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        index = 1
        guard code == SQLITE_DONE else { throw connection.error("write failed") }
    }

    /// Steps a SELECT: true while there is a row. Call `reset()` when done.
    func next() throws -> Bool {
        let code = sqlite3_step(statement)
        if code == SQLITE_ROW { return true }
        guard code == SQLITE_DONE else { throw connection.error("read failed") }
        return false
    }

    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        index = 1
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
