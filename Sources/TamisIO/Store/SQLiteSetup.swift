import CTamisSys

/// SQLite's process-wide options, set once before the first connection opens (see
/// `tamis_sqlite_configure`): every connection in Tamis is used from one thread at a time
/// (GRDB serialises its own; the SIRENE register opens one per thread), so SQLite's
/// per-call mutexes and allocation statistics are pure cost — about 3 s of a million-record
/// base write.
enum SQLiteSetup {
    /// Touch before opening a connection. If SQLite was initialised earlier (a test process
    /// that opened one through another path), the options are not taken and SQLite keeps
    /// its safe defaults.
    static let configured: Bool = tamis_sqlite_configure() == 0
}
