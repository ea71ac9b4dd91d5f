import Foundation
import GRDB
import GRDBSQLite
import TrialDomain

/// A page of an export made a call at a time (trialsd's `Export`, which sends each page once
/// the one before it has been written to the peer, and so cannot hand `export(since:to:)` a
/// callback that waits).
public struct ExportPage: Equatable, Sendable {
    /// The lines, without their newlines, byte for byte those `export(since:to:)` writes.
    public var lines: [String]
    /// The seq of the last line; the `after` given when there is none.
    public var lastSeq: Int64
}

extension EventStore {
    /// Where an export that starts now ends: the log's last seq (0 when it is empty).
    public func exportEnd() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(seq), 0) FROM events") ?? 0 }
    }

    /// The export's lines of the events after seq `after` up to seq `end`, at most `limit`, from
    /// one read transaction (`export(since:to:)` reads its pages the same way).
    public func exportPage(after: Int64, through end: Int64, limit: Int = 1_000) throws -> ExportPage {
        var page = ExportPage(lines: [], lastSeq: after)
        guard after < end else { return page }
        var w = JSONWriter(capacity: 4096)
        try pool.read { db in
            var st = RawStatement(
                try db.cachedStatement(
                    sql: "SELECT \(EventRows.columns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"))
            st.bind(after)
            st.bind(end)
            st.bind(Int64(max(1, limit)))
            try st.forEachRow { row in
                w.reset()
                _ = Self.writeLine(row, to: &w)
                page.lines.append(String(decoding: w.bytes, as: UTF8.self))
                page.lastSeq = sqlite3_column_int64(row, 0)
            }
        }
        return page
    }
}
