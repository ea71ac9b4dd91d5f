import GRDB
import GRDBSQLite

/// Binds and steps a prepared statement with the C API directly, for the INSERTs of the append
/// and rebuild paths (GRDB's argument boxing costs more than the insert itself there).
///
/// Values are bound in order with `bind`, then `run()` steps once and resets. Text bound from
/// bytes is bound without a copy: the bytes must outlive `run()`, which they do when bound and
/// run in the same scope.
struct RawStatement {
    let statement: Statement
    private var index: Int32 = 0
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
    }

    mutating func bind(_ v: String?) {
        index += 1
        guard var v else {
            sqlite3_bind_null(statement.sqliteStatement, index)
            return
        }
        // The string's own UTF-8 storage, copied once by SQLite (no C string made first).
        let stmt = statement.sqliteStatement, i = index
        v.withUTF8 { u in
            if let base = u.baseAddress, u.count > 0 {
                _ = sqlite3_bind_text(stmt, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(u.count), Self.transient)
            } else {
                _ = sqlite3_bind_text(stmt, i, "", 0, Self.transient)
            }
        }
    }

    mutating func bind(_ v: Int64) {
        index += 1
        sqlite3_bind_int64(statement.sqliteStatement, index, v)
    }

    mutating func bind(_ bytes: [UInt8]) {
        index += 1
        bytes.withUnsafeBytes { b in
            _ = sqlite3_bind_blob(statement.sqliteStatement, index, b.baseAddress, Int32(b.count), Self.transient)
        }
    }

    /// Binds UTF-8 bytes as TEXT (copied by SQLite).
    mutating func bindText(_ bytes: [UInt8]) {
        index += 1
        if bytes.isEmpty {
            sqlite3_bind_text(statement.sqliteStatement, index, "", 0, Self.transient)
            return
        }
        bytes.withUnsafeBufferPointer { b in
            _ = sqlite3_bind_text(statement.sqliteStatement, index, b.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(b.count), Self.transient)
        }
    }

    /// Runs the statement to completion; a failure is thrown as GRDB's DatabaseError.
    func run() throws {
        let stmt = statement.sqliteStatement
        let code = sqlite3_step(stmt)
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(stmt)))
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}
