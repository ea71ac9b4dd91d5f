import Foundation
import GRDB
import GRDBSQLite
import TrialDomain

/// What `export` wrote.
public struct ExportReport: Equatable, Sendable {
    /// Lines written, one per event.
    public var events: Int64
    /// The last exported seq and its hash (the log's head as of the export's start); 0 and
    /// the empty string when nothing was exported.
    public var lastSeq: Int64
    public var headHash: String
    public var bytes: Int64
}

extension EventStore {
    /// Events an export reads per read transaction.
    static let exportPageSize = 1_000

    /// Streams the log as JSONL, one event a line, oldest first: every field as recorded
    /// (`hash`, `id`, `occurred`, `payload`, `recorded`, `recordedBy`, `seq`, `source` when
    /// there is one, `trial`, `type`, `version`), keys in canonical order, as `RecordedEvent`'s
    /// JSON in replies. Each field is the stored text (the payload's canonical text, the dates
    /// as written), so that the line's hash can be recomputed from the line
    /// (`RecordedEvent.hashedContent`) and `restore` rebuilds the same log byte for byte.
    ///
    /// `since`: only the events after that seq (nil: the whole log, which `restore` needs).
    /// The export ends at the log's last seq when it starts; appends made meanwhile are left to
    /// the next one. It reads `exportPageSize` events per read transaction and hands them to
    /// `write` as whole lines, one page at a time: memory stays the same whatever the size of
    /// the log, and no read transaction is held while `write` runs (a slow consumer holds back
    /// no checkpoint).
    @discardableResult
    public func export(since: Int64? = nil, to write: ([UInt8]) throws -> Void) throws -> ExportReport {
        let end = try pool.read { db in try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(seq), 0) FROM events") ?? 0 }
        var report = ExportReport(events: 0, lastSeq: 0, headHash: "", bytes: 0)
        var after = max(0, since ?? 0)
        var w = JSONWriter(capacity: 4096)
        var page: [UInt8] = []
        page.reserveCapacity(1 << 20)
        while after < end {
            page.removeAll(keepingCapacity: true)
            var last = after, head = ""
            try pool.read { db in
                var st = RawStatement(
                    try db.cachedStatement(
                        sql:
                            "SELECT \(EventRows.columns) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT \(Self.exportPageSize)"
                    ))
                st.bind(after)
                st.bind(end)
                try st.forEachRow { row in
                    w.reset()
                    head = Self.writeLine(row, to: &w)
                    page.append(contentsOf: w.bytes)
                    page.append(UInt8(ascii: "\n"))
                    last = sqlite3_column_int64(row, 0)
                    report.events += 1
                }
            }
            guard last > after else { break }  // the rows ended early: nothing more to read
            try write(page)
            report.bytes += Int64(page.count)
            report.lastSeq = last
            report.headHash = head
            after = last
        }
        return report
    }

    /// `export(since:to:)` to a file handle (standard output, a file).
    @discardableResult
    public func export(since: Int64? = nil, to handle: FileHandle) throws -> ExportReport {
        try export(since: since) { bytes in try handle.write(contentsOf: bytes) }
    }

    /// One exported line from a row of `EventRows.columns`, without its newline, into an empty
    /// writer; returns the event's hash in hexadecimal.
    static func writeLine(_ row: OpaquePointer?, to w: inout JSONWriter) -> String {
        var hash = [UInt8](repeating: 0, count: Int(sqlite3_column_bytes(row, 10)))
        if let b = sqlite3_column_blob(row, 10) {
            hash.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: b, count: $0.count)) }
        }
        let hex = hexString(hash)
        // Canonical (sorted) key order, as `RecordedEvent.members`; the absent source left out.
        w.beginObject()
        w.key("hash"); w.string(hex)
        w.key("id"); w.string(EventRows.text(row, 1))
        w.key("occurred"); w.string(EventRows.text(row, 5))
        w.key("payload"); w.canonical(EventRows.text(row, 9))
        w.key("recorded"); w.string(EventRows.text(row, 6))
        w.key("recordedBy"); w.string(EventRows.text(row, 7))
        w.key("seq"); w.int(sqlite3_column_int64(row, 0))
        if sqlite3_column_type(row, 8) != SQLITE_NULL { w.key("source"); w.string(EventRows.text(row, 8)) }
        w.key("trial"); w.string(EventRows.text(row, 2))
        w.key("type"); w.string(EventRows.text(row, 4))
        w.key("version"); w.int(sqlite3_column_int64(row, 3))
        w.endObject()
        return hex
    }
}
