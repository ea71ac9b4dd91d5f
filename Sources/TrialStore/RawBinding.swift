import GRDB
import GRDBSQLite

/// Binds and steps a prepared statement with the C API directly, for the INSERTs of the append
/// and rebuild paths (GRDB's argument boxing costs more than the insert itself there).
///
/// Values are bound in order with `bind` (SQLite copies each), then `run()` steps once and
/// resets; `forEachRow` steps a SELECT. Every use binds every parameter: bindings are not
/// cleared between runs, so that SQLite reuses the buffers it copied the last values into.
struct RawStatement {
    let statement: Statement
    private var index: Int32 = 0
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
    }

    mutating func bind(_ v: String?) {
        guard var v else { return bindNull() }
        // The string's own UTF-8 storage, copied once by SQLite (no C string made first).
        v.withUTF8 { bindUTF8($0) }
    }

    mutating func bind(_ v: Int64) {
        index += 1
        sqlite3_bind_int64(statement.sqliteStatement, index, v)
    }

    mutating func bind(_ v: Int64?) {
        guard let v else { return bindNull() }
        bind(v)
    }

    private mutating func bindNull() {
        index += 1
        sqlite3_bind_null(statement.sqliteStatement, index)
    }

    mutating func bind(_ bytes: [UInt8]) {
        index += 1
        bytes.withUnsafeBytes { b in
            _ = sqlite3_bind_blob(statement.sqliteStatement, index, b.baseAddress, Int32(b.count), Self.transient)
        }
    }

    /// Binds UTF-8 bytes as TEXT.
    mutating func bindText(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { bindUTF8($0) }
    }

    private mutating func bindUTF8(_ u: UnsafeBufferPointer<UInt8>) {
        index += 1
        if let base = u.baseAddress, u.count > 0 {
            sqlite3_bind_text(
                statement.sqliteStatement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                Int32(u.count), Self.transient)
        } else {
            sqlite3_bind_text(statement.sqliteStatement, index, "", 0, Self.transient)
        }
    }

    /// Runs the statement to completion; a failure is thrown as GRDB's DatabaseError.
    func run() throws {
        try step { _ in }
    }

    /// Steps the statement, calling `body` with it at each row, then resets it; a failure is
    /// thrown as GRDB's DatabaseError. In an async read whose task is cancelled, it does not
    /// start (SQLite's interrupt stops only a statement that runs), and one interrupted while
    /// it runs throws CancellationError, as GRDB's own statements do (`StoreRead`).
    func forEachRow(_ body: (OpaquePointer?) throws -> Void) throws {
        if Task.isCancelled { throw CancellationError() }
        try step(body)
    }

    private func step(_ body: (OpaquePointer?) throws -> Void) throws {
        let stmt = statement.sqliteStatement
        defer { sqlite3_reset(stmt) }
        while true {
            let code = sqlite3_step(stmt)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                // An async read whose task was cancelled: GRDB interrupted it.
                if code == SQLITE_INTERRUPT && Task.isCancelled { throw CancellationError() }
                let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(stmt)))
                // The SQL as SQLite holds it: GRDB's `Statement.sql` also checks the calling
                // queue, which an error path has no business tripping over.
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: message,
                    sql: sqlite3_sql(stmt).map { String(cString: $0) })
            }
            try body(stmt)
        }
    }

    /// The first row's first column as text, or nil when there is no row.
    func firstText() throws -> String? {
        var text: String?
        try forEachRow { stmt in
            if text == nil, let c = sqlite3_column_text(stmt, 0) {
                text = String(
                    decoding: UnsafeBufferPointer(start: c, count: Int(sqlite3_column_bytes(stmt, 0))), as: UTF8.self)
            }
        }
        return text
    }
}
