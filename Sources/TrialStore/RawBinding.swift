import GRDB
import GRDBSQLite

/// Binds and steps a cached statement with the C API directly, for the few INSERTs of the
/// append path (GRDB's argument boxing costs more than the insert itself there).
struct RawStatement {
    let statement: Statement
    private var index: Int32 = 0
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        sqlite3_reset(statement.sqliteStatement)
    }

    mutating func bind(_ v: String?) {
        index += 1
        if let v { sqlite3_bind_text(statement.sqliteStatement, index, v, -1, Self.transient) } else { sqlite3_bind_null(statement.sqliteStatement, index) }
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
