import Foundation
import GRDBSQLite

/// Keeps GRDB's pool from writing to a database as it opens it.
///
/// GRDB 7.10's `DatabasePool` (`Database.setUpWALMode`) creates and drops a table
/// (`grdb_issue_102`) whenever the -wal file is missing or empty, which is every open after a
/// clean close: a write before the store has looked at the file (one page, the schema cookie
/// up by two), and an open that fails on a full disk. No `Configuration` setting skips it
/// (only `readonly`, which makes the writer read-only too). It wants a non-empty log so that
/// readers find one (SQLITE_CANTOPEN before SQLite 3.22) and so that WAL snapshots can start
/// (the store takes none).
///
/// So, for a database already in WAL mode, `avert` gives the empty log a length of 32 bytes
/// of nothing, a hole (no disk block): SQLite reads a log no longer than its 32-byte header
/// as empty, and the next commit writes its header from the start. It does so holding the
/// log's write lock (BEGIN IMMEDIATE), under which no other connection appends to the log or
/// resets it, and returns that connection open: the caller closes it once the pool is open,
/// for the close of the last connection deletes the log. A new file, or one in another
/// journal mode, is left to the pool (it is about to be initialised or migrated anyway).
enum WALProbe {
    /// A connection to close once the pool is open (nil: nothing was done).
    final class Hold {
        private var connection: OpaquePointer?
        init(_ connection: OpaquePointer?) { self.connection = connection }
        deinit { sqlite3_close(connection) }
    }

    static func avert(path: String, busyTimeout: TimeInterval) throws -> Hold? {
        guard inWALMode(path) else { return nil }
        var connection: OpaquePointer?
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            sqlite3_close(connection)
            return nil  // the pool will say why
        }
        let hold = Hold(connection)
        sqlite3_busy_timeout(connection, Int32(busyTimeout * 1000))
        guard sqlite3_exec(connection, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK else { return hold }
        let log = path + "-wal"
        if let size = try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int, size == 0 {
            _ = truncate(log, 32)
        }
        sqlite3_exec(connection, "COMMIT", nil, nil, nil)
        return hold
    }

    /// The header's read and write versions (bytes 18 and 19) are 2 in WAL mode.
    private static func inWALMode(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let header = try? handle.read(upToCount: 20), header.count == 20 else { return false }
        return header[18] == 2 && header[19] == 2
    }
}
