import Foundation
import GRDBSQLite

/// Looks at a database file through a read-only connection before anything opens it for
/// writing, and refuses it there: a file of a newer trialtrack, with an edited migration, or
/// another application's database, keeps every byte (GRDB's pool writes as it opens,
/// `WALProbe`).
struct Admission {
    let migrator: Migrator

    /// Reads what it needs (the header's mark, the tables, the applied migrations) and checks
    /// it; throws `StoreError` for a file that must not be opened for writing. trialtrack's
    /// file carries `EventStore.applicationID`, or (written before migration 0005) no mark
    /// and trialtrack's `schema_migrations` table. No file, an empty one, or a database
    /// without tables (and no other mark) is trialtrack's to initialise.
    func check(path: String, busyTimeout: TimeInterval) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return }
        let file = try ReadOnlyFile(path: path, busyTimeout: busyTimeout)
        let mark = Int32(try file.strings("PRAGMA application_id").first ?? "0") ?? 0
        let tables = try file.strings(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
        let refusal = StoreError.notTrialtrack(path: path, applicationID: mark, tables: tables)
        guard mark == 0 || mark == EventStore.applicationID else { throw refusal }
        guard !tables.isEmpty else { return }
        let bookkeeping =
            tables.contains("schema_migrations")
            ? Set(try file.strings("SELECT name FROM pragma_table_info('schema_migrations')")) : []
        guard bookkeeping.isSuperset(of: ["identifier", "checksum"]) else {
            if mark == 0 { throw refusal }
            return  // marked, its bookkeeping gone: the migrator says what is wrong
        }
        let applied = try file.rows("SELECT identifier, checksum FROM schema_migrations ORDER BY identifier")
        try migrator.check(applied: applied.map { (identifier: $0[0], checksum: $0[1]) })
    }
}

/// A database file opened read-only with SQLite's C API: nothing it runs can write, and it
/// runs none of GRDB's setup.
final class ReadOnlyFile {
    private var connection: OpaquePointer?
    let path: String

    init(path: String, busyTimeout: TimeInterval) throws {
        self.path = path
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(connection)
            throw StoreError.database("cannot open \(path): \(message)")
        }
        sqlite3_busy_timeout(connection, Int32(busyTimeout * 1000))
    }

    deinit { sqlite3_close(connection) }

    /// Every row of `sql`, each column as text ("" for NULL).
    func rows(_ sql: String) throws -> [[String]] {
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_prepare_v2(connection, sql, -1, &statement, nil) == SQLITE_OK else { throw failure() }
        var out: [[String]] = []
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                out.append(
                    (0..<sqlite3_column_count(statement)).map { i in
                        sqlite3_column_text(statement, i).map { String(cString: $0) } ?? ""
                    })
            case SQLITE_DONE: return out
            default: throw failure()
            }
        }
    }

    /// The first column of every row of `sql`.
    func strings(_ sql: String) throws -> [String] { try rows(sql).map { $0[0] } }

    private func failure() -> StoreError {
        StoreError.database("cannot read \(path): \(String(cString: sqlite3_errmsg(connection)))")
    }
}
