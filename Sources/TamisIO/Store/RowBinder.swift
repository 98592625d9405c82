import GRDB
import GRDBSQLite

/// Binds a prepared INSERT's parameters straight from bytes and runs it: no `String` or
/// `DatabaseValue` per cell. A million-row base is written with this; GRDB's argument
/// arrays box every value, which costs more than SQLite itself.
struct RowBinder {
    let statement: SQLiteStatement
    private(set) var index: Int32 = 1
    /// SQLite copies the bytes before `bind` returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
    }

    /// Empty bytes are NULL (a missing value).
    mutating func bind(_ bytes: UnsafeBufferPointer<UInt8>) {
        RowBinder.bindText(statement, index, bytes)
        index += 1
    }

    /// Binds UTF-8 bytes as text (SQLite copies them), or NULL when empty.
    static func bindText(_ statement: SQLiteStatement, _ index: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.isEmpty {
            sqlite3_bind_null(statement, index)
        } else {
            bytes.withMemoryRebound(to: CChar.self) {
                _ = sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), RowBinder.transient)
            }
        }
    }

    /// Binds bytes as text without SQLite copying them, or NULL when empty: the bytes must stay
    /// where they are until `step` (bind and step inside the same `withUnsafe…` closure).
    /// A million-row write saves a malloc, a copy and a free per value.
    mutating func bindInPlace(_ bytes: UnsafeBufferPointer<UInt8>, notNull: Bool = false) {
        if bytes.isEmpty {
            if notNull { _ = sqlite3_bind_text(statement, index, "", 0, RowBinder.transient) }
            else { sqlite3_bind_null(statement, index) }
        } else {
            bytes.withMemoryRebound(to: CChar.self) {
                _ = sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), RowBinder.inPlace)
            }
        }
        index += 1
    }

    /// SQLITE_STATIC: SQLite reads the bytes where they are, up to the next step.
    static let inPlace = unsafeBitCast(0, to: sqlite3_destructor_type.self)

    mutating func bind(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { bind($0) }
    }

    mutating func bind(_ text: String?) {
        guard var text else { return bindNull() }
        text.withUTF8 { bindNotNull($0) }
    }

    mutating func bindNull() {
        sqlite3_bind_null(statement, index)
        index += 1
    }

    /// Binds bytes as text, an empty one as "" (not NULL): columns declared NOT NULL hold it.
    mutating func bindNotNull(_ bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.isEmpty {
            _ = sqlite3_bind_text(statement, index, "", 0, RowBinder.transient)
            index += 1
        } else {
            bind(bytes)
        }
    }

    mutating func bind(_ number: Int) {
        sqlite3_bind_int64(statement, index, Int64(number))
        index += 1
    }

    /// Runs the statement and makes it ready for the next row.
    /// Every parameter must have been bound for this row: bindings are not cleared between
    /// rows (a stale value would otherwise be stored), which debug builds check.
    mutating func step(_ db: Database) throws {
        assert(index - 1 == sqlite3_bind_parameter_count(statement), "a parameter was left unbound")
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        index = 1
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
}
